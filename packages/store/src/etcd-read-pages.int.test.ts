import type { RecordedEvent } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdEventStore } from './etcd-event-store.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';
import { freshNode } from './testing/event-store-contract.js';
import { nextEvents } from './testing/events.js';

/** Counts the range reads (calls and keys returned) the store makes. */
const countRanges = (store: EtcdEventStore) => {
  const kv = store.client.kv;
  const range = kv.range.bind(kv);
  const counts = { calls: 0, keys: 0 };
  kv.range = async (...args: Parameters<typeof range>) => {
    counts.calls += 1;
    const res = await range(...args);
    counts.keys += res.kvs.length;
    return res;
  };
  return counts;
};

const readPages = async (store: EtcdEventStore, from: number, limit: number) => {
  const all: RecordedEvent[] = [];
  let pages = 0;
  for (;;) {
    const page = await store.readAll(from, limit);
    pages += 1;
    all.push(...page.events);
    from = page.nextRevision;
    if (!page.more) return { all, pages, next: from };
  }
};

describe('EtcdEventStore.readAll paging', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  const streams = Array.from({ length: 4 }, () => freshNode('pg'));
  const versions = new Map<string, number>();
  const appendRound = async (perStream: number) => {
    const r = await store.append(
      streams.map((s) => {
        const v = versions.get(s) ?? 0;
        versions.set(s, v + perStream);
        return nextEvents(s, v, perStream);
      }),
    );
    return r.revision;
  };
  let start = 0;

  beforeAll(async () => {
    etcd = await startEtcd();
    // 10 keys per range page, so the log of 240 events is 24 range pages
    store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints }, prefix: '/eni-ipam/pages', pageSize: 10 });
    start = (await store.headRevision()) + 1;
    for (let k = 0; k < 20; k++) await appendRound(3);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await etcd?.cleanup();
  });

  it('given a log of 240 events, when read in pages of 7, then the log keys are scanned once, not once per page', async () => {
    const counts = countRanges(store);
    const { all, pages } = await readPages(store, start, 7);
    expect(all).toHaveLength(240);
    expect(pages).toBeGreaterThanOrEqual(20); // whole revisions of 12: pages of 12 events
    // one scan: 24 range pages (+1 for the last, empty-or-short page); a rescan per page would be ~20 x 24
    expect(counts.calls).toBeLessThanOrEqual(26);
    expect(counts.keys).toBe(240);
    // and in global order, every revision whole
    const revs = all.map((e) => e.revision);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(all.map((e) => `${e.stream}/${e.seq}`)).size).toBe(240);
  });

  it('given a reader paging through, when events are appended meanwhile, then they come after its last page by a fresh scan', async () => {
    const first = await store.readAll(start, 12);
    expect(first.more).toBe(true);
    const late = await appendRound(1);
    const { all, next } = await readPages(store, first.nextRevision, 12);
    expect(all.some((e) => e.revision === late)).toBe(false); // the cursor is the snapshot it was scanned at
    const after = await store.readAll(next, 100);
    expect(after.events.map((e) => e.revision)).toEqual([late, late, late, late]);
    expect(after.more).toBe(false);
    expect(after.nextRevision).toBe(late + 1);
  });

  it('given two readers at different positions, when they page alternately, then each gets its own pages in order', async () => {
    const a = await store.readAll(start, 12);
    const b = await store.readAll(a.nextRevision, 24);
    const a2 = await store.readAll(a.nextRevision, 12);
    expect(a2.events).toEqual(b.events.slice(0, 12));
    const b2 = await store.readAll(b.nextRevision, 24);
    expect(b2.events[0]?.revision).toBeGreaterThan(b.events[23]?.revision ?? 0);
  });

  it('given a short tail (a start from a recent snapshot), then only the tail comes over the wire, the same events as a full scan', async () => {
    const head = await store.headRevision();
    const from = head - 2; // the last three rounds: 3 revisions x 4 streams
    const counts = countRanges(store);
    const tail = await readPages(store, from, 1000);
    expect(counts.calls).toBe(1); // the tail in one filtered request
    expect(counts.keys).toBe(tail.all.length);
    expect(tail.all.every((e) => e.revision >= from)).toBe(true);
    const full = await readPages(store, start, 1000);
    expect(tail.all).toEqual(full.all.filter((e) => e.revision >= from));
  });

  it('given a log longer than the tail limit, then a short tail is still read alone, and a long one by a full scan', async () => {
    // etcd 3.4's count_only ignores the mod-revision filter: a tail counted that way was the whole
    // log, always over the limit once the log was (every start from a snapshot read everything)
    const small = new EtcdEventStore({ client: store.client, prefix: '/eni-ipam/pages', tailMax: 20 });
    const full = (await readPages(store, start, 1000)).all;
    const last = full.at(-1)?.revision ?? 0;
    const counts = countRanges(small);
    const tail = await readPages(small, last, 1000); // the last append: 4 events
    expect(tail.all).toEqual(full.filter((e) => e.revision >= last));
    expect(tail.all.length).toBeLessThanOrEqual(20);
    expect(counts.calls).toBe(1);
    expect(counts.keys).toBe(tail.all.length);
    const from = full[full.length - 30]?.revision ?? 0; // over the limit
    const long = await readPages(small, from, 1000);
    expect(long.all).toEqual(full.filter((e) => e.revision >= from));
    expect(long.all.length).toBeGreaterThan(20);
    expect(counts.keys).toBeGreaterThanOrEqual(tail.all.length + 21 + full.length); // the filtered try, then the full scan
    await small.close();
  });

  it('given a scan slower than the idle limit, then its cursor still serves the next page (no rescan per page)', async () => {
    // a log so big that one scan takes longer than the idle limit: here, 30 ms per range page
    const slow = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints },
      prefix: '/eni-ipam/pages',
      pageSize: 10,
      cursorIdleMs: 200,
    });
    try {
      const kv = slow.client.kv;
      const range = kv.range.bind(kv);
      let calls = 0;
      kv.range = async (...args: Parameters<typeof range>) => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 30));
        return range(...args);
      };
      const { all, pages } = await readPages(slow, 1, 100); // from the start: a full scan, not a short tail
      expect(all.length).toBeGreaterThanOrEqual(240);
      expect(pages).toBeGreaterThanOrEqual(3);
      // one scan of 24-25 range pages (over 700 ms, past the 200 ms idle limit) serves every page;
      // a cursor dropped as idle would be read again for each later page
      expect(calls).toBeLessThanOrEqual(25);
    } finally {
      await slow.close();
    }
  });
});
