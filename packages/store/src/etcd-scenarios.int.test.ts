import { type EventEnvelope, IpamError, isIpamError, type RecordedEvent } from '@eni-ipam/core';
import { GRPCDeadlineExceededError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEnvelope } from './envelope.js';
import { EtcdEventStore } from './etcd-event-store.js';
import type { EtcdSubscription } from './etcd-subscription.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';
import { freshNode, nextEvents } from './testing/index.js';

const until = async (cond: () => boolean, timeoutMs = 60_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('EtcdEventStore on one real member', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  beforeAll(async () => {
    etcd = await startEtcd();
    store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints }, prefix: '/t/scen' });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.cleanup();
  });

  it('group commit: 64 concurrent writers on 1,000 streams lose and duplicate nothing, every stream gapless', async () => {
    const streams = Array.from({ length: 1000 }, (_, k) => `node/gc-${k}`);
    const versions = new Map(streams.map((s) => [s, 0]));
    const appended = new Map<string, string[]>(streams.map((s) => [s, []]));
    const revisions = new Set<number>();
    let next = 0;
    const perWriter = 40;
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        for (let k = 0; k < perWriter; k++) {
          // writers interleave on shared streams: conflicts happen and are retried by re-reading
          const s = streams[(next++ * 7 + w) % streams.length] as string;
          for (;;) {
            const a = nextEvents(s, versions.get(s) ?? 0);
            try {
              const { revision } = await store.append([a]);
              revisions.add(revision);
              versions.set(s, a.expectedVersion + 1);
              appended.get(s)?.push(a.events[0]?.id as string);
              break;
            } catch (e) {
              if (!isIpamError(e, 'StreamVersionConflict')) throw e;
              versions.set(s, await store.streamVersion(s));
            }
          }
        }
      }),
    );
    const total = 64 * perWriter;
    let read = 0;
    for (const s of streams) {
      const events = await store.readStream(s);
      read += events.length;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => k + 1));
      expect(events.map((e) => e.id)).toEqual(appended.get(s));
    }
    expect(read).toBe(total);
    // shared transactions: far fewer revisions than appends
    expect(revisions.size).toBeLessThan(total);
  });

  it('events of appends that shared a transaction come in one order, live and on replay', async () => {
    const tag = `ord${Math.random().toString(36).slice(2, 6)}`;
    const from = (await store.headRevision()) + 1;
    const live: string[] = [];
    const sub = store.subscribe(
      from,
      (batch) => {
        live.push(...batch.map((e) => e.id));
      },
      { streamPrefix: `node/${tag}` },
    );
    await until(() => (sub as EtcdSubscription).state === 'watching');
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, k) => store.append([nextEvents(`node/${tag}-${k}`, 0, 2)])),
    );
    expect(new Set(results.map((r) => r.revision)).size).toBeLessThan(60); // they did share
    await until(() => live.length === 120);
    await sub.close();
    const replay: string[] = [];
    const replayed = store.subscribe(
      from,
      (batch) => {
        replay.push(...batch.map((e) => e.id));
      },
      { streamPrefix: `node/${tag}` },
    );
    await until(() => replay.length === 120);
    await replayed.close();
    expect(replay).toEqual(live);
    const page = await store.readAll(from, 10_000);
    expect(page.events.filter((e) => e.stream.startsWith(`node/${tag}`)).map((e) => e.id)).toEqual(live);
  });

  it('an ambiguous append (committed, response lost) is resolved by read-back with no duplicate', async () => {
    let lose = 1;
    let sent = 0;
    const flaky = new EtcdEventStore({
      client: store.client,
      prefix: '/t/scen',
      append: {
        wrapTxn: (send) => async (req, deadline) => {
          sent++;
          const res = await send(req, deadline);
          if (lose-- > 0) throw new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: injected after commit');
          return res;
        },
      },
    });
    const s = freshNode('amb');
    const a = nextEvents(s, 0, 2);
    const { revision } = await flaky.append([a]);
    const events = await store.readStream(s);
    expect(events.map((e) => e.id)).toEqual(a.events.map((e) => e.id));
    expect(events[0]?.revision).toBe(revision);
    expect(sent).toBe(1); // resolved by reading back, not by sending again
    // the same append again is recognised as done (idempotency), still no duplicate
    expect((await flaky.append([a])).revision).toBe(revision);
    expect(await store.streamVersion(s)).toBe(2);
  });

  it('an ambiguous append that did not commit is sent again under the same compare and lands once', async () => {
    let lose = 1;
    const flaky = new EtcdEventStore({
      client: store.client,
      prefix: '/t/scen',
      append: {
        wrapTxn: (send) => async (req, deadline) => {
          if (lose-- > 0) throw new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: injected before send');
          return send(req, deadline);
        },
      },
    });
    const s = freshNode('amb2');
    const a = nextEvents(s, 0, 1);
    await flaky.append([a]);
    expect((await store.readStream(s)).map((e) => e.id)).toEqual([a.events[0]?.id]);
  });

  it('a subscriber whose position was compacted away reloads from the log and continues, nothing lost', async () => {
    const tag = `cmp${Math.random().toString(36).slice(2, 6)}`;
    const s = freshNode(tag);
    await store.append([nextEvents(s, 0, 1)]);
    const seen: RecordedEvent[] = [];
    let gate: Promise<void> = Promise.resolve();
    let open: () => void = () => {};
    const sub = store.subscribe(
      1,
      async (batch) => {
        await gate;
        seen.push(...batch);
      },
      { streamPrefix: `node/${tag}` },
    );
    await until(() => seen.length === 1);
    gate = new Promise((r) => {
      open = r;
    });
    // one revision per event, 4 KiB each: the paused handler lets the watch stream fill up and
    // stall (backpressure), so most of these are still in etcd when the watch breaks
    for (let v = 1; v < 101; v++) await store.append([nextEvents(s, v, 1, { data: { pad: 'p'.repeat(4096) } })]);
    // compact past everything, then break the watch so it must restart from its old position
    const head = await store.headRevision();
    await store.client.kv.compact({ revision: String(head), physical: true });
    await etcd.member(0).restart();
    open();
    await until(() => seen.length === 101);
    await new Promise((r) => setTimeout(r, 300));
    await sub.close();
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, k) => k + 1));
    expect((sub as EtcdSubscription).reloads).toBeGreaterThanOrEqual(1);
  });

  it('a corrupt value under the log prefix stops readers with CorruptLog naming the key', async () => {
    const corrupt = new EtcdEventStore({ client: store.client, prefix: '/t/corrupt' });
    const s = 'node/broken';
    await corrupt.append([nextEvents(s, 0, 1)]);
    const key = corrupt.keys.log(s, 2);
    await store.client.put(key).value('{"i":0,"e":{"id":"x"').exec();
    await store.client.put(corrupt.keys.head(s)).value('2').exec();
    const err = await corrupt.readStream(s).catch((e: unknown) => e);
    expect(isIpamError(err, 'CorruptLog')).toBe(true);
    expect((err as IpamError).message).toContain(key);
    expect(await corrupt.readAll(1).catch((e: unknown) => (e as IpamError).code)).toBe('CorruptLog');
    const delivered: RecordedEvent[] = [];
    const sub = corrupt.subscribe(1, (b) => {
      delivered.push(...b);
    });
    const stopped = await sub.done.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(isIpamError(stopped, 'CorruptLog')).toBe(true);
    expect((stopped as IpamError).details.key).toBe(key);
    expect(delivered).toEqual([]); // the good event shares the catch-up; the reader never skips
  });

  it('an unknown event version (injected decoder) stops the subscriber before that event', async () => {
    const decode = (raw: unknown, key: string): EventEnvelope => {
      const e = validateEnvelope(raw, key);
      if (e.v !== 1) throw new IpamError('UnknownEventVersion', `${e.type} v${e.v} at ${key}`, { key });
      return e;
    };
    const strict = new EtcdEventStore({ client: store.client, prefix: '/t/version', decode });
    const s = 'node/versions';
    const seen: RecordedEvent[] = [];
    const sub = strict.subscribe(1, (b) => {
      seen.push(...b);
    });
    await strict.append([nextEvents(s, 0, 1)]);
    await until(() => seen.length === 1);
    await strict.append([nextEvents(s, 1, 1, { v: 2 })]);
    await strict.append([nextEvents(s, 2, 1)]);
    const stopped = await sub.done.catch((e: unknown) => e);
    expect(isIpamError(stopped, 'UnknownEventVersion')).toBe(true);
    expect(seen.map((e) => e.seq)).toEqual([1]);
    expect(await strict.readStream(s).catch((e: unknown) => (e as IpamError).code)).toBe('UnknownEventVersion');
  });
});
