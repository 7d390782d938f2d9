/**
 * The floor of items 1 and 2: the thinnest HTTP API that makes each allocation durable in etcd.
 * Measured in the same run as ipamd and the raw puts, it splits ipamd's distance from the raw
 * puts into the part any allocation API served over HTTP pays (the request, the JSON, the answer,
 * one put that etcd confirms) and ipamd's own work (authentication, the decision on the node's
 * state, the fold of the watched log, the audit index, metrics and logs, the follower).
 *
 * Per request it does only what no allocation API can skip: node:http reads the request, the
 * body is parsed as JSON, one value the size of an allocation event is put under its own key,
 * and an Allocation is answered as JSON once etcd confirmed the put. Puts are group-committed as
 * ipamd's appender does: the requests that arrive while transactions are in flight share the next
 * transaction (at most 8 in flight, each guarded by one compare, as ipamd's fence). It runs in a
 * process of its own (this file through tsx) like the leader, behind the same agent client.
 * No authentication, no validation beyond JSON, no logs: a measuring stick, not a product part,
 * so it is written by hand on node:http.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createEtcdClient } from '@eni-ipam/store';
import type { AllocTask } from './alloc-rounds.js';
import { spawnChild } from './child.js';
import { type CpuSample, cpuSample, cpuSpent } from './cpu.js';
import type { IpamdCluster } from './ipamd-cluster.js';
import { closedLoop, type LoadOutcome, openLoop } from './load.js';
import { RAW_VALUE_BYTES } from './raw-etcd.js';

const SELF = fileURLToPath(import.meta.url);
const MAX_IN_FLIGHT = 8;
const MAX_PUTS_PER_TXN = 64;
/** A well-formed Allocation (the agent's client checks every answer against the schema). */
const ANSWER = JSON.stringify({
  ip: '10.0.3.17',
  eniId: 'eni-0123abcd',
  eniMac: '20:90:6f:00:00:01',
  gateway: '10.0.0.1',
  subnetCidr: '10.0.0.0/16',
  routeTable: 101,
});

const answer = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

interface Put {
  key: string;
  value: string;
  done(ok: boolean): void;
}

const settle = (batch: readonly Put[], ok: boolean): void => {
  for (const p of batch) p.done(ok);
};

/** The floor API's server (the child process's main); prints `floor-api listening on URL`. */
export const runFloorApi = async (argv: readonly string[]): Promise<void> => {
  const at = argv.indexOf('--etcd-endpoints');
  const endpoints = at < 0 ? [] : (argv[at + 1] ?? '').split(',').filter(Boolean);
  if (endpoints.length === 0) throw new Error('usage: floor-api --etcd-endpoints URL[,URL...]');
  const client = createEtcdClient({ endpoints });
  const prefix = `/bench-floor-${randomBytes(4).toString('hex')}/`;
  const queue: Put[] = [];
  let inFlight = 0;
  let seq = 0;
  const pump = (): void => {
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const batch = queue.splice(0, MAX_PUTS_PER_TXN);
      inFlight++;
      client
        .if(`${prefix}fence`, 'Version', '==', 0)
        .then(...batch.map((p) => client.put(p.key).value(p.value)))
        .commit()
        .then(
          (r) => settle(batch, r.succeeded),
          () => settle(batch, false),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(res, 400, JSON.stringify({ code: 'InvalidInput', message: 'not JSON' }));
      }
      const value = JSON.stringify({ type: 'IpAllocated', url: req.url, data: body, at: new Date().toISOString() });
      queue.push({
        key: `${prefix}${seq++}`,
        value: value.padEnd(RAW_VALUE_BYTES),
        done: (ok) =>
          ok
            ? answer(res, 200, ANSWER)
            : answer(res, 503, JSON.stringify({ code: 'StoreUnavailable', message: 'put failed' })),
      });
      pump();
    });
  });
  // fastify's default (ipamd's): node:http's own 5 s would close the agents' idle connections
  // between rounds, and each round would open new ones, which ipamd's rounds do not pay
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('floor-api: not listening on TCP');
  process.stdout.write(`floor-api listening on http://127.0.0.1:${addr.port}\n`);
};

export interface FloorApi {
  url: string;
  stop(): Promise<void>;
}

export const spawnFloorApi = async (endpoints: readonly string[]): Promise<FloorApi> => {
  let url: string | undefined;
  // the workspace packages from their sources, as the bench itself runs
  const child = spawnChild(
    ['--conditions=source', '--import', import.meta.resolve('tsx'), SELF, '--etcd-endpoints', endpoints.join(',')],
    {},
    (l) => {
      const m = /^floor-api listening on (http:\/\/\S+)/.exec(l);
      if (m) url = m[1];
    },
    'inherit',
  );
  const u = await child.until(() => url, 'floor-api listening', 60_000);
  return {
    url: u,
    stop: async () => {
      child.proc.kill('SIGTERM');
      await child.exited;
    },
  };
};

/**
 * A round of `tasks` through the floor API with the agents' client ipamd's rounds use, closed
 * loop or open loop; every answer must be 200. With the CPU of every process meanwhile, by role.
 */
export const floorRound = async (
  c: IpamdCluster,
  floor: FloorApi,
  tasks: readonly AllocTask[],
  load: { concurrency: number } | { rate: number },
): Promise<LoadOutcome & { cpuMs: Record<string, number> }> => {
  const run = async (t: AllocTask) => {
    const a = await c.allocateVia(floor.url, t.node, t.containerId);
    if (a.status !== 200) throw new Error(`floor ${t.containerId}: ${a.status} ${a.code ?? ''} ${a.message ?? ''}`);
  };
  const cpu0: CpuSample = cpuSample();
  const out = 'rate' in load ? await openLoop(tasks, load.rate, run) : await closedLoop(tasks, load.concurrency, run);
  return { ...out, cpuMs: cpuSpent(cpu0, cpuSample()) };
};

// the child process (spawnFloorApi)
if (process.argv[1] === SELF) await runFloorApi(process.argv.slice(2));
