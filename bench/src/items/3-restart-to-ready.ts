/**
 * Item 3: restart-to-ready of the ipamd core (ProjectionHost) on a cluster log of 5,000 nodes x
 * 110 pods, from a snapshot, vs a raw paginated read of the same log keys with the etcd3 client
 * in the same run (target ratio <= 1.5); and a full replay without a snapshot (events/s).
 */
import { performance } from 'node:perf_hooks';
import { ProjectionHost } from '@eni-ipam/ipamd';
import type { EtcdEventStore } from '@eni-ipam/store';
import { onClusterLog } from '../scale/cluster-log.js';
import type { BenchContext, BenchItem, BenchResult } from '../types.js';

const PREFIX = '/eni-ipam/bench3';

/** Every log key read in key-order pages of 1000, resuming after the last key (what a reader must do at least). */
export const rawPagedRead = async (store: EtcdEventStore): Promise<{ keys: number; bytes: number }> => {
  const end = Buffer.from(`${store.keys.logPrefix.slice(0, -1)}0`); // the prefix ends in '/': '0' is the next byte
  let key = Buffer.from(store.keys.logPrefix);
  let keys = 0;
  let bytes = 0;
  for (;;) {
    const res = await store.client.kv.range({ key, range_end: end, limit: 1000 });
    for (const kv of res.kvs) {
      keys += 1;
      bytes += kv.value.length;
    }
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || !last) return { keys, bytes };
    key = Buffer.concat([last.key, Buffer.from([0])]);
  }
};

const timed = async <T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
};

const item: BenchItem = {
  id: '3-restart-to-ready',
  title: 'Restart-to-ready of an ipamd replica (ProjectionHost) on 5,000 nodes x 110 pods',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    return onClusterLog({ quick: ctx.quick, prefix: PREFIX, what: 'item 3', log: ctx.log }, async (store, log) => {
      const { nodes, pods, events } = log;
      const gen = { ms: log.writeMs };
      ctx.log('item 3: raw read');
      const raw = await timed(() => rawPagedRead(store));

      ctx.log('item 3: full replay without a snapshot');
      const cold = new ProjectionHost({ store, snapshotEvery: 0 });
      const replay = await timed(() => cold.start());
      const allocations = Object.values(cold.projection.nodes).reduce(
        (n, s) => n + Object.keys(s.allocations).length,
        0,
      );
      const snap = await timed(() => cold.saveSnapshot());
      await cold.stop();
      const snapKey = await store.client.get(store.keys.snap('ipamd-projection')).buffer();
      // a chunked snapshot's key holds a pointer saying its size (snapshot-chunks.ts)
      const pointer = snapKey ? (JSON.parse(snapKey.toString()) as { chunked?: { bytes: number } }) : undefined;
      const snapshotBytes = pointer?.chunked?.bytes ?? snapKey?.length ?? 0;

      ctx.log('item 3: restart from the snapshot');
      const warm = new ProjectionHost({ store, snapshotEvery: 0 });
      const restart = await timed(() => warm.start());
      const warmAllocations = Object.values(warm.projection.nodes).reduce(
        (n, s) => n + Object.keys(s.allocations).length,
        0,
      );
      await warm.stop();
      if (allocations !== nodes * pods || warmAllocations !== allocations) {
        throw new Error(`projection holds ${allocations} / ${warmAllocations} allocations, expected ${nodes * pods}`);
      }
      const ratio = restart.ms / raw.ms;
      const details = {
        nodes,
        podsPerNode: pods,
        events,
        allocations,
        generateMs: Math.round(gen.ms),
        rawKeys: raw.value.keys,
        rawValueBytes: raw.value.bytes,
        snapshotBytes,
        snapshotSaveMs: Math.round(snap.ms),
      };
      return [
        {
          key: 'restartToReady',
          title: `restart-to-ready from a snapshot, ${allocations} allocations`,
          figure: Math.round(restart.ms),
          unit: 'ms',
          baseline: Math.round(raw.ms),
          baselineLabel: `raw paginated range read of the ${raw.value.keys} log keys (etcd3, 1000 per page)`,
          ratio: Math.round(ratio * 100) / 100,
          target: 'ratio <= 1.5',
          pass: ratio <= 1.5,
          details,
        },
        {
          key: 'fullReplayRate',
          title: `full replay without a snapshot, ${events} events`,
          figure: Math.round(events / (replay.ms / 1000)),
          unit: 'events/s',
          baseline: Math.round(raw.value.keys / (raw.ms / 1000)),
          baselineLabel: 'raw paginated range read, keys/s',
          ratio: Math.round((raw.ms / replay.ms) * 100) / 100,
          target: 'reported (no target)',
          pass: null,
          details: { replayMs: Math.round(replay.ms), ...details },
        },
      ];
    });
  },
};

export default item;
