/**
 * The measuring side of bench item 4, run as its own process with `--expose-gc`: loads the cluster
 * state the way a replica does (ProjectionHost: the snapshot, then the log's tail), and reports the
 * heap it holds, before and after the audit index is rebuilt. Arguments: etcd endpoints (comma
 * separated) and the key prefix. Prints one JSON line.
 */
import { decodeEvent } from '@eni-ipam/core';
import { ProjectionHost } from '@eni-ipam/ipamd';
import { EtcdEventStore } from '@eni-ipam/store';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const settle = async () => {
  // a few rounds: finalizers and weak maps let go over more than one cycle
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage();
};

const [endpoints = '', prefix = ''] = process.argv.slice(2);
const store = new EtcdEventStore({ connection: { endpoints: endpoints.split(',') }, prefix, decode: decodeEvent });
// the client is connected and the code loaded before the first figure
await store.readAll(1, 1);
const host = new ProjectionHost({ store, snapshotEvery: 0 });
const before = await settle();
const started = Date.now();
await host.start();
const loadedMs = Date.now() - started;
// the snapshot's states are compacted in the background once ready: measure the steady state
await host.waitForCompaction();
// the audit index is rebuilt after the start: measure the projection alone first
const projection = await settle();
const auditPendingAtMeasure = !host.auditReady;
await host.waitForAudit();
const withAudit = await settle();
const p = host.projection;
let allocations = 0;
for (const n of Object.values(p.nodes)) allocations += Object.keys(n.allocations).length;
process.stdout.write(
  `${JSON.stringify({
    allocations,
    nodes: Object.keys(p.nodes).length,
    loadedMs,
    auditPendingAtMeasure,
    heapBefore: before.heapUsed,
    heapProjection: projection.heapUsed,
    heapWithAudit: withAudit.heapUsed,
    rssBefore: before.rss,
    rssProjection: projection.rss,
    rssWithAudit: withAudit.rss,
  })}\n`,
);
await host.stop();
await store.close();
