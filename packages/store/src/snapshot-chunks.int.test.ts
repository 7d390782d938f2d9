import type { Snapshot } from '@eni-ipam/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdEventStore } from './etcd-event-store.js';
import { KeyLayout } from './keys.js';
import { loadSnapshotChunked, saveSnapshotChunked } from './snapshot-chunks.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';

const PREFIX = '/eni-ipam/chunks';

describe('chunked snapshots on a real etcd', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  const keys = new KeyLayout(PREFIX);
  const fresh = () => `snap-${Math.random().toString(36).slice(2)}`;
  const chunkKeys = async (name: string) => (await store.client.getAll().prefix(keys.snapChunks(name)).keys()).sort();

  beforeAll(async () => {
    etcd = await startEtcd();
    store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints }, prefix: PREFIX });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await etcd?.cleanup();
  });

  it('given an existing single-key snapshot (the old layout), when loaded, then it is returned as is', async () => {
    const name = fresh();
    const old: Snapshot = { name, seq: 7, revision: 8, state: { pods: ['a', 'b'] } };
    await store.client.put(keys.snap(name)).value(JSON.stringify(old)).exec();
    expect(await store.loadSnapshot(name)).toEqual(old);
  });

  it('given a chunked snapshot, when a save crashes after its chunks but before its pointer, then the old one is used and the next save removes the orphans', async () => {
    const name = fresh();
    const first: Snapshot = { name, seq: 1, revision: 2, state: { x: 'a'.repeat(5000) } };
    await saveSnapshotChunked(store.client, keys, first, 1000);
    const firstChunks = await chunkKeys(name);
    expect(firstChunks.length).toBe(6);
    // a crashed save: chunks of a newer generation written, pointer never written
    const orphan = `${keys.snapChunks(name)}zzzzzzzzz-deadbeef/000000`;
    await store.client.put(orphan).value('{"half":').exec();
    expect(await loadSnapshotChunked(store.client, keys, name)).toEqual(first);

    const second: Snapshot = { name, seq: 2, revision: 3, state: { x: 'b'.repeat(3000) } };
    await saveSnapshotChunked(store.client, keys, second, 1000);
    expect(await loadSnapshotChunked(store.client, keys, name)).toEqual(second);
    const left = await chunkKeys(name);
    expect(left.some((k) => firstChunks.includes(k))).toBe(false);
    // the newer-looking orphan is kept by design (a save in progress is never deleted) ...
    expect(left).toContain(orphan);
    // ... and a small snapshot, one key again, clears every chunk
    await store.saveSnapshot({ name, seq: 3, revision: 4, state: {} });
    expect(await chunkKeys(name)).toEqual([]);
    expect(await store.loadSnapshot(name)).toEqual({ name, seq: 3, revision: 4, state: {} });
  });

  it('given a pointer whose chunk is missing, when loaded, then CorruptLog (never a torn state)', async () => {
    const name = fresh();
    await saveSnapshotChunked(store.client, keys, { name, seq: 1, revision: 1, state: 'q'.repeat(3000) }, 1000);
    const [firstChunk] = await chunkKeys(name);
    await store.client
      .delete()
      .key(firstChunk ?? '')
      .exec();
    await expect(loadSnapshotChunked(store.client, keys, name)).rejects.toMatchObject({ code: 'CorruptLog' });
  });

  it('given a big snapshot, when saved, then the event loop keeps running: no stall near one JSON.stringify of it', async () => {
    const name = fresh();
    // about 25 MB of JSON shaped like a projection: many small keyed records
    const nodes: Record<string, unknown> = {};
    for (let n = 0; n < 5_000; n++) {
      const allocations: Record<string, unknown> = {};
      for (let k = 0; k < 60; k++)
        allocations[`c-${n}-${k}`] = {
          ip: `10.${n % 256}.${k}.${n % 200}`,
          eniId: `eni-${n}`,
          pod: { ns: 'd', name: `p${k}` },
        };
      nodes[`node-${n}`] = { version: n, allocations };
    }
    const snap: Snapshot = { name, seq: 1, revision: 9, state: { nodes } };
    const t0 = performance.now();
    const text = JSON.stringify(snap);
    const whole = performance.now() - t0;
    // the longest gap between two turns of the loop while the save runs
    let maxGap = 0;
    let last = performance.now();
    let running = true;
    const tick = () => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await saveSnapshotChunked(store.client, keys, snap);
    running = false;
    if (process.env.DEBUG_SNAPSHOT) console.log({ bytes: text.length, stringifyMs: whole, maxGapMs: maxGap });
    expect(text.length).toBeGreaterThan(20_000_000);
    expect(maxGap, `one JSON.stringify took ${whole.toFixed(0)} ms`).toBeLessThan(Math.max(whole / 3, 20));
    expect(await loadSnapshotChunked(store.client, keys, name)).toEqual(JSON.parse(text));
  }, 120_000);

  it('property: any state round-trips through any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.integer({ min: 1, max: 400 }), async (state, chunkBytes) => {
        const name = fresh();
        const snap: Snapshot = { name, seq: 5, revision: 6, state };
        await saveSnapshotChunked(store.client, keys, snap, chunkBytes);
        expect(await loadSnapshotChunked(store.client, keys, name)).toEqual(JSON.parse(JSON.stringify(snap)));
        // byte for byte what JSON.stringify writes (the pointer counts the bytes of the chunks)
        const stored = JSON.parse((await store.client.get(keys.snap(name)).buffer())?.toString() ?? 'null');
        const size = stored?.chunked ? stored.chunked.bytes : Buffer.byteLength(JSON.stringify(stored));
        expect(size).toBe(Buffer.byteLength(JSON.stringify(snap)));
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
