/**
 * `ipamctl history` at scale: a generated log of N events (default 1,000,000) in an
 * InMemoryEventStore, then the three steps ipamctl runs: load (readAll pages + decode against
 * the catalogue), build the audit index once, answer queries.
 *
 *   node --conditions=source --import tsx packages/ipamd/src/ipamctl/bench/history-bench.ts [N]
 *
 * The log: 50 nodes, each with 3 ENIs of 10 secondary IPs bound, then pods churning through
 * those 30 addresses (IpAllocated / IpReleased pairs), spread over 30 days.
 */
import { performance } from 'node:perf_hooks';
import type { EventEnvelope } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store';
import { buildAuditIndex, ipHistory, podHistory, relevantTo } from '../commands/history.js';
import { loadHistory } from '../commands/load.js';

const total = Number(process.argv[2] ?? 1_000_000);
const NODES = 50;
const start = Date.UTC(2026, 0, 1);
const step = (30 * 86_400_000) / total;

const store = new InMemoryEventStore({ limits: { maxTxnOps: 100_000, maxRequestBytes: 1 << 30 } });
let n = 0;
const seqs = new Map<string, number>();
const batches = new Map<string, EventEnvelope[]>();
const at = () => new Date(start + Math.floor(n * step)).toISOString();
const emit = (node: string, type: string, data: unknown) => {
  const stream = `node/${node}`;
  const seq = (seqs.get(stream) ?? 0) + 1;
  seqs.set(stream, seq);
  n += 1;
  const list = batches.get(stream) ?? [];
  list.push({ id: `e${n}`, stream, seq, type, v: 1, at: at(), by: { replica: 'bench', term: 1 }, cause: {}, data });
  batches.set(stream, list);
};
const flush = async () => {
  for (const [stream, events] of batches) {
    await store.append([{ stream, expectedVersion: (events[0]?.seq ?? 1) - 1, events }]);
  }
  batches.clear();
};

const nodeName = (i: number) => `node-${String(i).padStart(3, '0')}`;
const ipOf = (node: number, eni: number, k: number) => `10.${node}.${eni}.${k + 10}`;
const eniOf = (node: number, eni: number) => `eni-${String(node * 10 + eni).padStart(8, '0')}`;
const t0 = performance.now();
for (let i = 0; i < NODES; i++) {
  const node = nodeName(i);
  emit(node, 'NodeRegistered', {
    node,
    instanceId: `ins-${i}`,
    zone: 'ap-guangzhou-3',
    limits: { maxEnis: 4, ipsPerEni: 11 },
  });
  for (let e = 0; e < 3; e++) {
    const eniId = eniOf(i, e);
    const subnetId = 'subnet-aaaa0001';
    emit(node, 'EniCreateRequested', { intentId: `c${i}-${e}`, clientToken: `c${i}-${e}`, subnetId, why: 'bench' });
    emit(node, 'EniCreated', {
      intentId: `c${i}-${e}`,
      eniId,
      subnetId,
      primaryIp: ipOf(i, e, 0),
      mac: '52:54:00:00:00:01',
    });
    emit(node, 'EniAttachRequested', {
      intentId: `a${i}-${e}`,
      clientToken: `a${i}-${e}`,
      eniId,
      instanceId: `ins-${i}`,
      why: 'bench',
    });
    emit(node, 'EniAttached', { intentId: `a${i}-${e}`, eniId });
    const ips = Array.from({ length: 10 }, (_, k) => ipOf(i, e, k + 1));
    emit(node, 'IpBindRequested', {
      intentId: `b${i}-${e}`,
      clientToken: `b${i}-${e}`,
      eniId,
      subnetId,
      ips,
      why: 'bench',
    });
    emit(node, 'IpsBound', { intentId: `b${i}-${e}`, eniId, ips });
  }
}
await flush();
let pod = 0;
while (n < total) {
  for (let i = 0; i < NODES && n < total; i++) {
    const slot = Math.floor(pod / NODES) % 30;
    const ip = ipOf(i, Math.floor(slot / 10), (slot % 10) + 1);
    const eniId = eniOf(i, Math.floor(slot / 10));
    const p = { namespace: 'default', name: `pod-${pod}` };
    emit(nodeName(i), 'IpAllocated', { pod: p, containerId: `k${pod}`, ip, eniId, why: 'bench' });
    if (n < total) emit(nodeName(i), 'IpReleased', { pod: p, containerId: `k${pod}`, ip, eniId, why: 'bench' });
    pod += 1;
  }
  if (n % 20_000 < 2 * NODES) await flush();
}
await flush();
const tGen = performance.now();

// reading alone (the store's share: InMemoryEventStore pages by filtering and cloning its log)
const tRead0 = performance.now();
for (let from = 1; ; ) {
  const page = await store.readAll(from, 100_000);
  if (!page.more) break;
  from = page.nextRevision;
}
const readAllOnlyMs = Math.round(performance.now() - tRead0);

// what `ipamctl history ip X` runs: one pass over the log, only the events about X decoded and folded
const targeted: number[] = [];
let targetedSpans = 0;
for (let q = 0; q < 3; q++) {
  const ip = ipOf(q * 7, q % 3, q + 1);
  const t = performance.now();
  const some = await loadHistory(store, { pageSize: 100_000, filter: relevantTo({ kind: 'ip', ip }) });
  targetedSpans += ipHistory(buildAuditIndex(some), ip).holders.length;
  targeted.push(performance.now() - t);
}
const tTargeted = performance.now();

// the whole index, built once, then any number of questions
const events = await loadHistory(store, { pageSize: 100_000 });
const tLoad = performance.now();
const idx = buildAuditIndex(events);
const tIndex = performance.now();
const queries = 1000;
let spans = 0;
for (let q = 0; q < queries; q++) {
  const i = q % NODES;
  spans += ipHistory(idx, ipOf(i, q % 3, (q % 10) + 1), { since: start + 86_400_000 * (q % 29) }).holders.length;
  spans += podHistory(idx, `default/pod-${q * 97}`).holdings.length;
}
const tQuery = performance.now();
const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
console.log(
  JSON.stringify(
    {
      events: events.length,
      generateMs: Math.round(tGen - t0),
      readAllOnlyMs,
      historyIpEndToEndMs: targeted.map(Math.round),
      historyIpSpans: targetedSpans,
      loadAndDecodeAllMs: Math.round(tLoad - tTargeted),
      buildFullIndexMs: Math.round(tIndex - tLoad),
      perQueryOnFullIndexMs: Number(((tQuery - tIndex) / (2 * queries)).toFixed(4)),
      spansReturned: spans,
      heapMb,
    },
    null,
    2,
  ),
);
