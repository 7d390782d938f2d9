/**
 * Benchmark: simulator requests per second through the real SDK, and the SDK's per-call
 * overhead against a raw node:http request (signed the same way) to the same simulator, in the
 * same run. Prints a table and one JSON line.
 *
 *   npx tsx packages/cloud/src/bench/sdk-bench.ts [--calls 2000] [--concurrency 16] [--rounds 3]
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { createCloudLogger } from '../adapter/logger.js';
import { createVpcSdkClient } from '../adapter/sdk-client.js';
import { createTencentVpcApi } from '../adapter/tencent-vpc-api.js';
import { startVpcSimulator } from '../sim/server.js';
import { signTc3 } from '../sim/tc3.js';
import { testSeed } from '../testing/index.js';

const { values } = parseArgs({
  options: { calls: { type: 'string' }, concurrency: { type: 'string' }, rounds: { type: 'string' } },
});
const ROUNDS = Number(values.rounds ?? 3);
const CALLS = Number(values.calls ?? 2000);
const CONCURRENCY = Number(values.concurrency ?? 16);
const creds = { secretId: 'AKIDbench', secretKey: 'bench-key' };
const ACTION = 'DescribeNetworkInterfaceLimit';
const PARAMS = { InstanceId: 'ins-00000000' };

const sim = await startVpcSimulator({ seed: testSeed(), credentials: [creds], rateLimits: false });
const rawAgent = new Agent({ keepAlive: true, maxSockets: 64 });

const raw = (): Promise<void> => {
  const body = JSON.stringify(PARAMS);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    host: 'vpc.tencentcloudapi.com',
    'content-type': 'application/json',
    'x-tc-action': ACTION,
    'x-tc-version': '2017-03-12',
    'x-tc-region': sim.region,
    'x-tc-timestamp': String(timestamp),
    authorization: signTc3({
      ...creds,
      hostname: 'vpc.tencentcloudapi.com',
      contentType: 'application/json',
      body,
      timestamp,
      service: 'vpc',
    }),
  };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: 'POST', path: '/', headers, agent: rawAgent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const r = JSON.parse(Buffer.concat(chunks).toString()) as { Response: { Error?: { Code: string } } };
          if (r.Response.Error) reject(new Error(r.Response.Error.Code));
          else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
};

const sdk = createVpcSdkClient({
  region: sim.region,
  credentials: creds,
  connectTo: { host: '127.0.0.1', port: sim.port },
  requestTimeoutMs: 10_000,
});
const viaSdk = async (): Promise<void> => {
  await sdk.DescribeNetworkInterfaceLimit(PARAMS);
};

const fast = { ratePerSecond: 1e9, burst: 1e9 };
const adapter = createTencentVpcApi({
  region: sim.region,
  credentials: creds,
  clusterId: 'bench',
  connectTo: { host: '127.0.0.1', port: sim.port },
  rateLimits: { DescribeNetworkInterfaceLimit: fast },
  logger: createCloudLogger({ level: 'silent' }),
});
const viaAdapter = async (): Promise<void> => {
  await adapter.describeInstanceLimits('ins-00000000');
};

interface Result {
  sequentialMeanUs: number;
  sequentialP99Us: number;
  concurrentRps: number;
}

const measure = async (fn: () => Promise<void>): Promise<Result> => {
  for (let i = 0; i < 200; i++) await fn(); // warm-up: JIT, sockets
  const lat: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CALLS) await fn();
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    sequentialMeanUs: Math.round(lat.reduce((a, b) => a + b, 0) / lat.length),
    sequentialP99Us: Math.round(lat[Math.floor(lat.length * 0.99)] ?? 0),
    concurrentRps: Math.round(CALLS / secs),
  };
};

// Rounds interleave the three clients so drift on a shared machine hits them alike; medians reported.
const clients = { raw, sdk: viaSdk, adapter: viaAdapter };
const rounds: Record<keyof typeof clients, Result[]> = { raw: [], sdk: [], adapter: [] };
for (let round = 0; round < ROUNDS; round++)
  for (const [name, fn] of Object.entries(clients)) rounds[name as keyof typeof clients].push(await measure(fn));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const summarize = (rs: Result[]): Result => ({
  sequentialMeanUs: median(rs.map((r) => r.sequentialMeanUs)),
  sequentialP99Us: median(rs.map((r) => r.sequentialP99Us)),
  concurrentRps: median(rs.map((r) => r.concurrentRps)),
});
const results = { raw: summarize(rounds.raw), sdk: summarize(rounds.sdk), adapter: summarize(rounds.adapter) };
await sim.stop();
rawAgent.destroy();

const overheadUs = results.sdk.sequentialMeanUs - results.raw.sequentialMeanUs;
console.log(
  `VPC simulator benchmark: ${ACTION}, ${CALLS} calls per run, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds, Node ${process.version}`,
);
console.log('| client (median)         | mean latency (us) | p99 (us) | req/s at concurrency |');
console.log('|-------------------------|------------------:|---------:|---------------------:|');
for (const [name, r] of Object.entries(results))
  console.log(
    `| ${name.padEnd(23)} | ${String(r.sequentialMeanUs).padStart(17)} | ${String(r.sequentialP99Us).padStart(8)} | ${String(r.concurrentRps).padStart(20)} |`,
  );
console.log(`SDK per-call overhead vs raw node:http: ${overheadUs} us`);
console.log(
  JSON.stringify({
    action: ACTION,
    calls: CALLS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    node: process.version,
    ...results,
    sdkOverheadUs: overheadUs,
  }),
);
