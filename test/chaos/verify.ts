/**
 * End-of-run checks against the real parts: each replica's answers, the raw log replayed, the
 * simulator's state, and `ipamctl verify --cloud` as an operator runs it.
 */
import { execFile } from 'node:child_process';
import { decodeRecorded, type Projection, project } from '@eni-ipam/core';
import { EtcdEventStore } from '@eni-ipam/store';
import { type ClaimRecord, cloudVsLog, type EniIps } from './checker.js';
import { CLUSTER_ID, type System } from './cluster.js';
import { IPAMCTL_BIN } from './processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The whole log replayed from etcd (raw events, core's decoder and fold), its head revision, and
 * its claim events in log order (for the static-address check).
 */
export const replay = async (sys: System): Promise<{ projection: Projection; head: number; claims: ClaimRecord[] }> => {
  const store = new EtcdEventStore({ connection: { endpoints: sys.etcd.endpoints }, prefix: sys.prefix });
  try {
    const page = await store.readAll(1, Number.MAX_SAFE_INTEGER);
    const events = page.events.map((e) => decodeRecorded(e, `${e.stream}/${e.seq}`));
    const head = page.events.at(-1)?.revision ?? 0;
    const claims: ClaimRecord[] = [];
    for (const e of events) {
      if (e.type !== 'ClaimCreated' && e.type !== 'ClaimExpired' && e.type !== 'ClaimDeleted') continue;
      const d = e.data as { pod: { namespace: string; name: string }; ip: string };
      const kind = e.type === 'ClaimCreated' ? 'created' : 'ended';
      claims.push({ kind, pod: `${d.pod.namespace}/${d.pod.name}`, ip: d.ip });
    }
    return { projection: project(events), head, claims };
  } finally {
    await store.close();
  }
};

/** `node/containerId` -> ip and ENI, from the replay (shared allocations and exclusive ENIs). */
export const replayAllocations = (p: Projection): Map<string, { ip: string; eniId: string }> => {
  const out = new Map<string, { ip: string; eniId: string }>();
  for (const n of Object.values(p.nodes)) {
    for (const a of Object.values(n.allocations)) out.set(`${n.node}/${a.containerId}`, { ip: a.ip, eniId: a.eniId });
    for (const a of Object.values(n.assignments)) {
      const eni = n.enis[a.eniId];
      out.set(`${n.node}/${a.containerId}`, { ip: eni?.primaryIp ?? '?', eniId: a.eniId });
    }
  }
  return out;
};

/** One replica's `GET /v1/nodes/{node}/state` for every node, once it has reached `head`. */
export const liveAllocations = async (
  sys: System,
  url: string,
  head: number,
  timeoutMs = 60_000,
): Promise<Map<string, { ip: string; eniId: string }>> => {
  const out = new Map<string, { ip: string; eniId: string }>();
  for (const node of sys.nodes) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${url}/v1/nodes/${node}/state`, {
          headers: { authorization: `Bearer ${sys.tokenOf(node)}` },
          signal: AbortSignal.timeout(5000),
        });
        if (res.status === 200) {
          const s = (await res.json()) as {
            revision: number;
            allocations: { containerId: string; ip: string; eniId: string }[];
          };
          if (s.revision >= head) {
            for (const a of s.allocations) out.set(`${node}/${a.containerId}`, { ip: a.ip, eniId: a.eniId });
            break;
          }
        }
      } catch {
        // not answering yet
      }
      if (Date.now() > until) throw new Error(`${url} did not reach revision ${head} for ${node}`);
      await sleep(200);
    }
  }
  return out;
};

export const sameAllocations = (a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] => {
  const out: string[] = [];
  for (const [k, v] of a)
    if (JSON.stringify(b.get(k)) !== JSON.stringify(v))
      out.push(`${k}: ${JSON.stringify(v)} vs ${JSON.stringify(b.get(k))}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: absent vs ${JSON.stringify(b.get(k))}`);
  return out;
};

const cloudEnis = async (sys: System): Promise<EniIps> => {
  const res = await fetch(`${sys.sim.url}/_sim/state?tag=${encodeURIComponent(`eni-ipam/cluster=${CLUSTER_ID}`)}`);
  const dump = (await res.json()) as { enis: { eniId: string; secondaryIps: string[]; state: string }[] };
  return new Map(dump.enis.map((e) => [e.eniId, [...e.secondaryIps].sort()]));
};

const logEnis = (p: Projection): { enis: EniIps; inFlight: number; intents: string[] } => {
  const enis = new Map<string, string[]>();
  let inFlight = 0;
  const intents: string[] = [];
  for (const n of Object.values(p.nodes)) {
    inFlight += Object.keys(n.intents).length;
    for (const i of Object.values(n.intents))
      intents.push(
        `${n.node} ${i.op} ${i.intentId}${i.eniId ? ` ${i.eniId}` : ''}${i.ips ? ` [${i.ips.join(' ')}]` : ''}`,
      );
    for (const e of Object.values(n.enis)) enis.set(e.eniId, Object.keys(e.ips).sort());
  }
  return { enis, inFlight, intents };
};

/**
 * The cloud's ENIs and IPs for the cluster against the log's, once no intent is in flight; polled
 * (the two reads are not atomic and the pool keeps slow-releasing), the last differences returned.
 */
export const cloudLeaks = async (sys: System, timeoutMs = 90_000): Promise<string[]> => {
  const until = Date.now() + timeoutMs;
  let diff: string[] = ['not compared'];
  while (Date.now() < until) {
    const { projection } = await replay(sys);
    const log = logEnis(projection);
    if (log.inFlight === 0) {
      diff = cloudVsLog(await cloudEnis(sys), log.enis);
      if (diff.length === 0) return [];
    } else diff = [`${log.inFlight} intents still in flight`, ...log.intents.map((i) => `in flight: ${i}`)];
    await sleep(1000);
  }
  return diff;
};

/** `ipamctl verify --cloud`: exit code and output. */
export const ipamctlVerify = (sys: System): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [IPAMCTL_BIN, ...sys.ctlArgs, '-o', 'json', 'verify', '--cloud'],
      { env: { PATH: process.env.PATH ?? '', ...sys.ctlEnv }, timeout: 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.slice(0, 4000) });
      },
    );
  });
