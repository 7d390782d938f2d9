/**
 * Heap of the audit index per entry (spans of addresses and pods, bindings, ENI life steps) on
 * the generated log (run by hand; `node --expose-gc` for exact figures):
 *
 *   node --expose-gc --conditions=source --import tsx packages/ipamd/src/ipamctl/bench/audit-memory-bench.ts [N]
 */
import { auditIndex } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { loadHistory } from '../commands/load.js';
import { generateLog } from './generate-log.js';

const total = Number(process.argv[2] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const store = new InMemoryEventStore();
await generateLog(store, total);
await loadHistory(store); // the store keeps what a first read builds: not the index's
gc();
const before = process.memoryUsage().heapUsed;
// the decoded events are dropped before measuring: the index keeps what it shares with them
const idx = auditIndex(await loadHistory(store));
gc();
const after = process.memoryUsage().heapUsed;
const count = (r: Record<string, unknown[]>) => Object.values(r).reduce((n, l) => n + l.length, 0);
const entries = count(idx.ipHolders) + count(idx.podHoldings) + count(idx.ipBindings) + count(idx.eniLife);
console.log(
  JSON.stringify({
    events: total,
    entries,
    heapMiB: +((after - before) / 1024 ** 2).toFixed(1),
    bytesPerEntry: Math.round((after - before) / entries),
  }),
);
