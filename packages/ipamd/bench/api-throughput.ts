/**
 * Throughput and latency of the HTTP layer alone (auth, validation, routing, logging, metrics)
 * over the in-memory RecordingIpamService, with N concurrent keep-alive clients on loopback.
 *
 *   npx tsx packages/ipamd/bench/api-throughput.ts [requests=5000] [concurrency=16]
 */
import { startTestServer } from '../src/testing/index.js';

const total = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 16);
const s = await startTestServer({ nodes: ['node-a'] });
s.app.log.level = 'warn';
const auth = s.nodeAuth('node-a');
const latencies: number[] = [];
let next = 0;
let failed = 0;
const worker = async () => {
  while (next < total) {
    const i = next++;
    const t0 = performance.now();
    const res = await fetch(`${s.url}/v1/nodes/node-a/allocations`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ pod: { namespace: 'default', name: `p-${i}` }, containerId: `c${i}`, mode: 'shared' }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) failed++;
    latencies.push(performance.now() - t0);
  }
};
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(2);
console.log(
  JSON.stringify({
    requests: total,
    concurrency,
    failed,
    perSecond: Math.round(total / seconds),
    p50ms: pct(50),
    p99ms: pct(99),
  }),
);
await s.close();
