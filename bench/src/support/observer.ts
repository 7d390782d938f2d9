/**
 * What the checks of items 1 and 2 read: a follower's log-fed projection (every acknowledged
 * allocation must show there, and the pools must be warm again after a round). Either an
 * in-process replica, or a `bin/ipamd.mjs` follower process read through its HTTP API, so that
 * a follower folding every event does not share the load generator's event loop: latency is
 * taken on the client side, and a stall of the client's own loop would count as ipamd latency.
 */
import { createServer } from 'node:net';
import type { Replica } from '@eni-ipam/ipamd';
import { type IpamdProcess, spawnIpamd } from './ipamd-process.js';
import { waitUntil } from './wait.js';

export interface Observation {
  /** The follower's applied log revision. */
  revision: number;
  /** Per node: bound IPs not held by a pod. */
  free: Map<string, number>;
  /** Per node: the container ids holding an address (only for the nodes asked for). */
  allocated: Map<string, Set<string>>;
}

export interface Observer {
  /** Reads the follower's projection; `allocated` is filled for `nodes`. */
  observe(nodes: readonly string[]): Promise<Observation>;
  stop(): Promise<void>;
}

export const replicaObserver = (replica: () => Replica): Observer => ({
  observe: async (nodes) => {
    const { host } = replica().core;
    const free = new Map<string, number>();
    const allocated = new Map<string, Set<string>>();
    for (const [name, s] of Object.entries(host.projection.nodes)) {
      const used = new Set(Object.values(s.allocations).map((a) => a.ip));
      const bound = Object.values(s.enis)
        .flatMap((e) => Object.values(e.ips))
        .filter((ip) => ip.status === 'bound' && !used.has(ip.ip)).length;
      free.set(name, bound);
    }
    for (const n of nodes) allocated.set(n, new Set(Object.keys(host.node(n).allocations)));
    return { revision: host.appliedRevision, free, allocated };
  },
  stop: async () => undefined,
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });

interface NodeListBody {
  revision: number;
  nodes: { name: string; bound: number; allocated: number }[];
}

/** A follower process of the same cluster (`argv` and `env` as the leader's), read over HTTP. */
export const processObserver = async (
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  adminToken: string,
): Promise<Observer> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = argv.map((a) => (a === '127.0.0.1:0' ? `127.0.0.1:${port}` : a));
  const headers = { authorization: `Bearer ${adminToken}` };
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers });
    if (res.status !== 200) throw new Error(`follower GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const proc: IpamdProcess = await spawnIpamd(
    'bench-follower',
    [...args, '--log-level', 'warn'],
    { ...env, ENI_IPAM_ADMIN_TOKEN: adminToken },
    async () => {
      const r = await fetch(`${url}/readyz`).catch(() => undefined);
      return r?.status === 200 ? url : undefined;
    },
  );
  return {
    observe: async (nodes) => {
      const list = await get<NodeListBody>('/v1/nodes');
      const free = new Map(list.nodes.map((n) => [n.name, n.bound - n.allocated]));
      const allocated = new Map<string, Set<string>>();
      for (const n of nodes) {
        const d = await get<{ allocations: { containerId: string }[] }>(`/v1/nodes/${n}`);
        allocated.set(n, new Set(d.allocations.map((a) => a.containerId)));
      }
      return { revision: list.revision, free, allocated };
    },
    stop: async () => {
      proc.proc.kill('SIGTERM');
      await proc.exited;
    },
  };
};

/** Waits until the observer has caught up: every node of `nodes` with at least `min` free IPs. */
export const waitWarm = async (
  o: Observer,
  nodes: readonly string[],
  min: number,
  what: string,
  timeoutMs = 120_000,
): Promise<void> => {
  let short: string[] = [];
  try {
    await waitUntil(
      async () => {
        const { free } = await o.observe([]);
        short = nodes.filter((n) => (free.get(n) ?? 0) < min).map((n) => `${n}: ${free.get(n) ?? 0}`);
        return short.length === 0;
      },
      { timeoutMs, what },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message} (free IPs below ${min}: ${short.slice(0, 5).join(', ')})`);
  }
};
