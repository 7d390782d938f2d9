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
import { decodeRecorded } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store';
import { buildAuditIndex, ipHistory, podHistory, relevantTo } from '../commands/history.js';
import { loadHistory } from '../commands/load.js';
import { generateLog, ipOf, NODES, START as start } from './generate-log.js';

const total = Number(process.argv[2] ?? 1_000_000);

const store = new InMemoryEventStore();
const t0 = performance.now();
await generateLog(store, total);
const tGen = performance.now();

// reading alone (the store's share: InMemoryEventStore pages by filtering and cloning its log)
const tRead0 = performance.now();
for (let from = 1; ; ) {
  const page = await store.readAll(from, 100_000);
  if (!page.more) break;
  from = page.nextRevision;
}
const readAllOnlyMs = Math.round(performance.now() - tRead0);

// the answering part alone, on events already read: pre-filter, decode the few, fold, query
const raw = (await store.readAll(1, Number.MAX_SAFE_INTEGER)).events;
const answerOnly: number[] = [];
for (let q = 0; q < 3; q++) {
  const ip = ipOf(q * 7 + 1, q % 3, q + 2);
  const t = performance.now();
  const some = raw.filter(relevantTo({ kind: 'ip', ip })).map((e) => decodeRecorded(e));
  ipHistory(buildAuditIndex(some), ip);
  answerOnly.push(performance.now() - t);
}

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
      historyIpAnswerAfterReadMs: answerOnly.map((x) => Math.round(x)),
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
