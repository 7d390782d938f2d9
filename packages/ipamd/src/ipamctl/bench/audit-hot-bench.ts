/**
 * The audit index's worst case: one hot address taken and given back N times (its list of holds
 * grows to N). Building must stay linear: doubling N should about double the time.
 *
 *   node --conditions=source --import tsx packages/ipamd/src/ipamctl/bench/audit-hot-bench.ts [N]
 */
import { performance } from 'node:perf_hooks';
import { auditIndex, type DecodedEvent } from '@eni-ipam/core';

const hotLog = (pairs: number): DecodedEvent[] => {
  const events: DecodedEvent[] = [];
  for (let i = 0; i < pairs; i++) {
    const base = { stream: 'node/n1', v: 1, by: { replica: 'b', term: 1 }, cause: {}, revision: 2 * i + 1 };
    const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    const pod = { namespace: 'default', name: `p${i}` };
    const data = { pod, containerId: `k${i}`, ip: '10.0.0.5', eniId: 'eni-00000001', why: 'bench' };
    // built directly (not through the catalogue): the bench measures the fold alone
    events.push({ ...base, id: `a${i}`, seq: 2 * i + 1, at, type: 'IpAllocated', data } as unknown as DecodedEvent);
    events.push({ ...base, id: `r${i}`, seq: 2 * i + 2, at, type: 'IpReleased', data } as unknown as DecodedEvent);
  }
  return events;
};

const top = Number(process.argv[2] ?? 160_000);
const rows: { hotKeySpans: number; buildMs: number }[] = [];
for (let pairs = top / 8; pairs <= top; pairs *= 2) {
  const events = hotLog(pairs);
  const t = performance.now();
  const idx = auditIndex(events);
  rows.push({ hotKeySpans: idx.ipHolders['10.0.0.5']?.length ?? 0, buildMs: Math.round(performance.now() - t) });
}
console.log(JSON.stringify(rows));
