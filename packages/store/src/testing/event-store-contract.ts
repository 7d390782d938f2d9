import type { EventStore, FencingToken, RecordedEvent } from '@eni-ipam/core';
import { isIpamError } from '@eni-ipam/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextEvents, testEvent } from './events.js';

/** What the contract needs from an implementation under test. */
export interface ContractFixture {
  store: EventStore;
  /** Makes a leader key and returns its fencing token. */
  grantLeadership(name: string): Promise<FencingToken>;
  /** The leader key disappears (resigned, lease expired). */
  revokeLeadership(token: FencingToken): Promise<void>;
  close(): Promise<void>;
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isIpamError(e) ? e.code : `untyped: ${String(e)}`;
  }
};

let streamCounter = 0;
/** A stream name nobody else in this run uses (stores are shared across tests of one file). */
export const freshNode = (tag = 'n'): string =>
  `node/${tag}-${process.pid}-${++streamCounter}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * The EventStore contract (packages/core/src/ports/event-store.ts), run against every
 * implementation: the in-memory twin and the etcd store.
 */
export const eventStoreContract = (name: string, makeFixture: () => Promise<ContractFixture>): void => {
  describe(`EventStore contract: ${name}`, () => {
    let fx: ContractFixture;
    let store: EventStore;
    beforeAll(async () => {
      fx = await makeFixture();
      store = fx.store;
    });
    afterAll(async () => fx?.close());

    it('appends to a new stream at version 0 and reads it back in order with its revision', async () => {
      const s = freshNode();
      const a = nextEvents(s, 0, 3);
      const { revision } = await store.append([a]);
      const read = await store.readStream(s);
      expect(read.map((e) => e.id)).toEqual(a.events.map((e) => e.id));
      expect(read.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(read.every((e) => e.revision === revision)).toBe(true);
      expect(await store.streamVersion(s)).toBe(3);
      expect((await store.readStream(s, 2, 1)).map((e) => e.seq)).toEqual([2]);
    });

    it('refuses a stale expected version with StreamVersionConflict and writes nothing', async () => {
      const s = freshNode();
      await store.append([nextEvents(s, 0, 2)]);
      expect(await codeOf(store.append([nextEvents(s, 1)]))).toBe('StreamVersionConflict');
      expect(await codeOf(store.append([nextEvents(s, 5)]))).toBe('StreamVersionConflict');
      expect(await store.streamVersion(s)).toBe(2);
    });

    it('appends several streams atomically: one conflict fails all of them', async () => {
      const a = freshNode();
      const b = freshNode();
      await store.append([nextEvents(b, 0)]);
      expect(await codeOf(store.append([nextEvents(a, 0), nextEvents(b, 0)]))).toBe('StreamVersionConflict');
      expect(await store.streamVersion(a)).toBe(0);
      const { revision } = await store.append([nextEvents(a, 0), nextEvents(b, 1)]);
      expect((await store.readStream(a))[0]?.revision).toBe(revision);
      expect((await store.readStream(b))[1]?.revision).toBe(revision);
    });

    it('recognises a re-appended event id as the earlier append (idempotency)', async () => {
      const s = freshNode();
      const a = nextEvents(s, 0, 2);
      const first = await store.append([a]);
      expect(await store.append([a])).toEqual(first);
      expect(await store.streamVersion(s)).toBe(2);
      const other = nextEvents(s, 0, 2);
      expect(await codeOf(store.append([other]))).toBe('StreamVersionConflict');
    });

    it('one of two concurrent writers on a stream wins, the other gets a typed conflict', async () => {
      const s = freshNode();
      const results = await Promise.all([
        codeOf(store.append([nextEvents(s, 0)])),
        codeOf(store.append([nextEvents(s, 0)])),
      ]);
      expect(results.sort()).toEqual(['StreamVersionConflict', 'ok']);
      expect(await store.streamVersion(s)).toBe(1);
    });

    it('fences appends: after the leader key is gone, the append fails with NotLeader and writes nothing', async () => {
      const s = freshNode();
      const fence = await fx.grantLeadership(`lead-${Math.random().toString(36).slice(2)}`);
      await store.append([nextEvents(s, 0)], { fence });
      await fx.revokeLeadership(fence);
      expect(await codeOf(store.append([nextEvents(s, 1)], { fence }))).toBe('NotLeader');
      expect(await store.streamVersion(s)).toBe(1);
      const next = await fx.grantLeadership(fence.key);
      expect(next.createRevision).not.toBe(fence.createRevision);
      expect(await codeOf(store.append([nextEvents(s, 1)], { fence }))).toBe('NotLeader');
      expect(await codeOf(store.append([nextEvents(s, 1)], { fence: next }))).toBe('ok');
    });

    it.each([
      { what: 'an invalid stream name', stream: 'pods/x', code: 'InvalidStreamName' },
      { what: 'an upper-case node name', stream: 'node/Bad', code: 'InvalidStreamName' },
      { what: 'a malformed subnet id', stream: 'subnet/subnet-12', code: 'InvalidStreamName' },
    ])('refuses $what with $code', async ({ stream, code }) => {
      expect(await codeOf(store.append([{ stream, expectedVersion: 0, events: [testEvent(stream, 1)] }]))).toBe(code);
      expect(await codeOf(store.readStream(stream))).toBe(code);
    });

    it('refuses events with the wrong seq or stream, and oversize appends, writing nothing', async () => {
      const s = freshNode();
      expect(await codeOf(store.append([{ stream: s, expectedVersion: 0, events: [testEvent(s, 2)] }]))).toBe(
        'InvalidEvent',
      );
      expect(await codeOf(store.append([{ stream: s, expectedVersion: 0, events: [testEvent('cluster', 1)] }]))).toBe(
        'InvalidEvent',
      );
      const huge = testEvent(s, 1, { data: { blob: 'x'.repeat(1_600_000) } });
      expect(await codeOf(store.append([{ stream: s, expectedVersion: 0, events: [huge] }]))).toBe('RequestTooLarge');
      expect(await codeOf(store.append([nextEvents(s, 0, 130)]))).toBe('RequestTooLarge');
      expect(await store.streamVersion(s)).toBe(0);
    });

    it('readAll pages in global order with whole revisions', async () => {
      const start = (await store.headRevision()) + 1;
      const a = freshNode();
      const b = freshNode();
      const r1 = await store.append([nextEvents(a, 0, 3), nextEvents(b, 0, 2)]);
      const r2 = await store.append([nextEvents(a, 3, 1)]);
      const all: RecordedEvent[] = [];
      let from = start;
      for (;;) {
        const page = await store.readAll(from, 2);
        all.push(...page.events);
        const revs = new Set(page.events.map((e) => e.revision));
        if (page.more) expect(page.nextRevision).toBe(Math.max(...revs) + 1);
        from = page.nextRevision;
        if (!page.more) break;
      }
      const mine = all.filter((e) => e.stream === a || e.stream === b);
      expect(
        mine.map(
          (e) =>
            `${e.stream === a ? 'a' : 'b'}${e.seq}@${e.revision === r1.revision ? 1 : e.revision === r2.revision ? 2 : 0}`,
        ),
      ).toEqual(['a1@1', 'a2@1', 'a3@1', 'b1@1', 'b2@1', 'a4@2']);
      expect(await store.headRevision()).toBeGreaterThanOrEqual(r2.revision);
    });

    it('subscribe catches up from a revision, then follows live, exactly once and in order', async () => {
      const tag = `sub${Math.random().toString(36).slice(2, 6)}`;
      const s = freshNode(tag);
      await store.append([nextEvents(s, 0, 2)]);
      const from = (await store.append([nextEvents(s, 2, 2)])).revision;
      const seen: RecordedEvent[] = [];
      let resolveSeen: () => void = () => {};
      const enough = new Promise<void>((r) => {
        resolveSeen = r;
      });
      const sub = store.subscribe(
        from,
        (batch) => {
          seen.push(...batch);
          if (seen.length >= 5) resolveSeen();
        },
        { streamPrefix: `node/${tag}` },
      );
      await store.append([nextEvents(s, 4, 1)]);
      await store.append([nextEvents(s, 5, 1), nextEvents(freshNode('other'), 0, 1)]);
      await store.append([nextEvents(s, 6, 1)]);
      await enough;
      await sub.close();
      expect(seen.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]);
      expect(seen.every((e) => e.stream === s)).toBe(true);
    });

    it('saves and loads projection snapshots', async () => {
      const name = `proj-${Math.random().toString(36).slice(2)}`;
      expect(await store.loadSnapshot(name)).toBeUndefined();
      await store.saveSnapshot({ name, seq: 4, revision: 9, state: { a: [1, 2] } });
      expect(await store.loadSnapshot(name)).toEqual({ name, seq: 4, revision: 9, state: { a: [1, 2] } });
    });

    it('stamps each save of a snapshot with a growing number, per name, without reading it', async () => {
      const name = `stamp-${Math.random().toString(36).slice(2)}`;
      const other = `${name}-other`;
      expect(await store.snapshotStamp(name)).toBeUndefined();
      await store.saveSnapshot({ name, seq: 1, revision: 1, state: {} });
      const first = await store.snapshotStamp(name);
      expect(first).toBeTypeOf('number');
      expect(await store.snapshotStamp(name)).toBe(first); // reading changes nothing
      await store.saveSnapshot({ name: other, seq: 1, revision: 1, state: {} });
      expect(await store.snapshotStamp(name)).toBe(first); // another name's save is not this one's
      await store.saveSnapshot({ name, seq: 2, revision: 2, state: { b: 1 } });
      expect(await store.snapshotStamp(name)).toBeGreaterThan(first as number);
    });

    it("saves and loads a snapshot over etcd's request limit (about 4 MB, so chunked on etcd), and replaces it", async () => {
      const name = `big-${Math.random().toString(36).slice(2)}`;
      const allocations = Array.from({ length: 60_000 }, (_, i) => ({
        pod: `ns-${i % 97}/pod-${i}`,
        ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        node: `node-${i % 5000}`,
      }));
      const big = { name, seq: 550_000, revision: 600_000, state: { allocations } };
      expect(JSON.stringify(big).length).toBeGreaterThan(3 * 1024 * 1024);
      await store.saveSnapshot(big);
      expect(await store.loadSnapshot(name)).toEqual(big);
      const next = { ...big, seq: 550_001, state: { allocations: allocations.slice(1) } };
      await store.saveSnapshot(next);
      expect(await store.loadSnapshot(name)).toEqual(next);
      await store.saveSnapshot({ name, seq: 2, revision: 3, state: { small: true } });
      expect(await store.loadSnapshot(name)).toEqual({ name, seq: 2, revision: 3, state: { small: true } });
    });

    it('property: any sequence of appends keeps versions and the log equal to a model', async () => {
      const streams = [freshNode('p'), freshNode('p'), freshNode('p')];
      const model = new Map<string, number>(streams.map((s) => [s, 0]));
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              picks: fc.subarray([0, 1, 2], { minLength: 1 }),
              skew: fc.constantFrom(0, 0, 0, -1, 1),
              count: fc.integer({ min: 1, max: 3 }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          async (ops) => {
            for (const op of ops) {
              const names = op.picks.map((k) => streams[k] as string);
              const appends = names.map((s, k) =>
                nextEvents(s, Math.max(0, (model.get(s) ?? 0) + (k === 0 ? op.skew : 0)), op.count),
              );
              const ok = appends.every((a) => a.expectedVersion === model.get(a.stream));
              const code = await codeOf(store.append(appends));
              expect(code).toBe(ok ? 'ok' : 'StreamVersionConflict');
              if (ok) for (const a of appends) model.set(a.stream, a.expectedVersion + a.events.length);
            }
            for (const s of streams) {
              const events = await store.readStream(s);
              expect(events.map((e) => e.seq)).toEqual(Array.from({ length: model.get(s) ?? 0 }, (_, k) => k + 1));
              expect(await store.streamVersion(s)).toBe(model.get(s));
            }
          },
        ),
        { numRuns: 15 },
      );
    });
  });
};
