/**
 * A real single-replica ipamd for bench items: Debian etcd (startEtcd), the VPC simulator (a
 * child process) over HTTP through the real SDK adapter, `startReplica` in process, the cluster
 * configured and `nodes` nodes registered, and the warm pools filled before anything is timed.
 */
import { randomBytes } from 'node:crypto';
import { createCloudLogger } from '@eni-ipam/cloud';
import { TEST_CREDENTIALS, TEST_REGION, testSeed } from '@eni-ipam/cloud/testing';
import { type ClusterConfig, isIpamError } from '@eni-ipam/core';
import {
  createLogger,
  loadConfig,
  loadSecrets,
  nodeToken,
  type Replica,
  type ReplicaOptions,
  startReplica,
} from '@eni-ipam/ipamd';
import { setUpCluster, testConfig } from '@eni-ipam/ipamd/testing';
import { HttpIpamdClient } from '@eni-ipam/node-dataplane';
import { createEtcdClient, LeaderElection } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { type IpamdProcess, spawnIpamd } from './ipamd-process.js';
import { type Observer, processObserver, replicaObserver, waitWarm } from './observer.js';
import { type SimProcess, spawnSimulator } from './sim-process.js';
import { waitUntil } from './wait.js';

export interface IpamdClusterOptions {
  nodes: number;
  preBind: { min: number; max: number };
  /** Simulator rate limits: false = none (default), 'default' = the simulator's default limits. */
  simRateLimits?: false | 'default';
  /** Adapter tuning; default: the replica's defaults (the production rate budget). */
  vpc?: ReplicaOptions['vpc'];
  config?: Partial<ClusterConfig>;
  /** The ENI limits of the nodes' instance type; default the test seed's (4 ENIs of 10 IPs). */
  instance?: { maxEnis: number; ipsPerEni: number };
  /**
   * Once the pools are warm, the leader moves to a `bin/ipamd.mjs` child process (as deployed:
   * the load generator does not share the replica's core) and the in-process replica is replaced
   * by a follower process, whose log-fed projection the checks read over HTTP (`observer`): the
   * load generator's process then runs nothing but the load and the simulator. `allocate` goes to
   * the leader process; `replica` and `freeIps` are not available.
   */
  leaderProcess?: boolean;
  log(message: string): void;
}

export interface AllocationAnswer {
  status: number;
  code?: string;
  message?: string;
  ip?: string;
}

export interface IpamdCluster {
  etcd: EtcdCluster;
  /** The VPC simulator, a child process (`bin/vpc-sim.mjs`). */
  sim: SimProcess;
  /** The in-process replica (throws when `leaderProcess`: there is none). */
  readonly replica: Replica;
  /** A follower's log-fed projection: the in-process replica, or the follower process. */
  observer: Observer;
  prefix: string;
  /** The command line and environment of the replica, for `bin/ipamd.mjs` replicas of the same cluster. */
  ipamdArgv: readonly string[];
  ipamdEnv: Readonly<Record<string, string>>;
  /** POST /v1/nodes/:node/allocations with the node's token. */
  allocate(node: string, containerId: string): Promise<AllocationAnswer>;
  /** The same through another replica (e.g. a `bin/ipamd.mjs` process) at `baseUrl`. */
  allocateVia(baseUrl: string, node: string, containerId: string): Promise<AllocationAnswer>;
  /** DELETE /v1/nodes/:node/allocations/:containerId; the HTTP status. */
  release(node: string, containerId: string): Promise<number>;
  /** etcd's current revision (every transaction on the member, the raw baseline's puts too). */
  etcdRevision(): Promise<number>;
  /** Calls the simulator answered, by action and outcome. */
  simStats(): Promise<Record<string, Record<string, number>>>;
  /** IPs bound to the node's ENIs and not allocated to a pod. */
  freeIps(node: string): number;
  stop(): Promise<void>;
}

export const nodeName = (i: number) => `node-${i}`;

/** An answer of the node agents' client as status and API code (0: no answer at all). */
const answerOf = (e: unknown): AllocationAnswer => {
  if (!isIpamError(e)) throw e;
  const d = e.details as { status?: number; apiCode?: string };
  const code = d.apiCode ?? (e.code === 'PoolExhausted' ? 'PoolExhausted' : undefined);
  return { status: d.status ?? 0, ...(code ? { code } : {}), message: e.message };
};

export const startIpamdCluster = async (o: IpamdClusterOptions): Promise<IpamdCluster> => {
  const secret = randomBytes(24).toString('hex');
  const prefix = `/eni-ipam/bench-${randomBytes(4).toString('hex')}`;
  const etcd = await startEtcd();
  let sim: SimProcess | undefined;
  let replica: Replica | undefined;
  let leader: IpamdProcess | undefined;
  let follower: Observer | undefined;
  try {
    sim = await spawnSimulator({
      seed: testSeed({ instances: o.nodes, podCidr: '10.1.0.0/16', ...o.instance }),
      rateLimits: o.simRateLimits === 'default' ? 'default' : false,
    });
    const ipamdArgv = [
      ...['--clusterid', 'cls-test', '--region', TEST_REGION, '--listen', '127.0.0.1:0'],
      ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix],
      ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`],
    ];
    const ipamdEnv = {
      ENI_IPAM_AUTH_SECRET: secret,
      TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
    };
    const inProcess = async (id: string): Promise<Replica> => {
      const loaded = loadConfig({
        argv: [...ipamdArgv, '--replica-id', id, '--log-level', 'warn'],
        env: ipamdEnv,
        hostname: 'bench',
      });
      if (loaded.kind !== 'config') throw new Error(`ipamd configuration rejected: ${JSON.stringify(loaded)}`);
      return startReplica(loaded.config, await loadSecrets(loaded.config), {
        // ipamd logs every PoolExhausted answer at error level: thousands of lines in a burst, which
        // would cost the measured process CPU; BENCH_DEBUG=1 shows its warnings
        logger: createLogger({
          level: process.env.BENCH_DEBUG ? 'warn' : 'fatal',
          replicaId: id,
          destination: process.stderr,
        }),
        reconcileEveryMs: 500,
        vpc: { logger: createCloudLogger({ level: 'silent' }), ...o.vpc },
      });
    };
    replica = await inProcess('bench-a');
    const r = replica;
    await waitUntil(() => r.leading(), { timeoutMs: 60_000, what: 'the replica elected' });
    await setUpCluster(r.core, r.vpc, o.nodes, testConfig({ preBind: o.preBind, ...o.config }));
    const freeIps = (node: string) => {
      const s = r.core.host.node(node);
      const used = new Set(Object.values(s.allocations).map((a) => a.ip));
      return Object.values(s.enis)
        .flatMap((e) => Object.values(e.ips))
        .filter((ip) => ip.status === 'bound' && !used.has(ip.ip)).length;
    };
    o.log(`warming ${o.nodes} node pools to ${o.preBind.min} free IPs each ...`);
    await waitUntil(
      () => Array.from({ length: o.nodes }, (_, i) => freeIps(nodeName(i))).every((n) => n >= o.preBind.min),
      {
        timeoutMs: 300_000,
        what: 'warm pools',
      },
    );
    let apiUrl = r.url;
    if (o.leaderProcess) {
      const client = createEtcdClient({ endpoints: etcd.endpoints });
      try {
        const observer = new LeaderElection({ client, prefix, candidate: 'bench-observer' });
        const stopped = r.stop(); // resigns: the process takes over as soon as it runs
        // quiet (warn): at info it logs every request, work the in-process replica did not do
        // either; its URL is read from the election key once it leads
        const p = await spawnIpamd('bench-leader', [...ipamdArgv, '--log-level', 'warn'], ipamdEnv, async () => {
          const l = await observer.leader();
          return l && l.candidate !== r.url ? l.candidate : undefined;
        });
        leader = p;
        await stopped;
      } finally {
        client.close();
      }
      replica = undefined;
      follower = await processObserver(ipamdArgv, ipamdEnv, randomBytes(24).toString('hex'));
      const all = Array.from({ length: o.nodes }, (_, i) => nodeName(i));
      await waitWarm(follower, all, o.preBind.min, 'the follower process caught up', 60_000);
      apiUrl = leader.url;
    }
    const s = sim;
    const revisionClient = createEtcdClient({ endpoints: etcd.endpoints });
    // the load goes out as the node agents send it: their own client (node:http, a keep-alive agent
    // per node), one per node and replica URL. global fetch cost the load generator's process
    // 10-100 ms stalls (WHATWG streams per request, then garbage collection), counted as ipamd latency
    const clients = new Map<string, HttpIpamdClient>();
    const clientOf = (baseUrl: string, node: string): HttpIpamdClient => {
      const k = `${baseUrl} ${node}`;
      let cl = clients.get(k);
      if (!cl) {
        // no shorter deadline than the pods of item 5 have (an allocation may wait for a bind)
        cl = new HttpIpamdClient({ baseUrl, node, token: nodeToken(secret, node), timeoutMs: 120_000 });
        clients.set(k, cl);
      }
      return cl;
    };
    const allocateVia = async (baseUrl: string, node: string, containerId: string): Promise<AllocationAnswer> => {
      try {
        const a = await clientOf(baseUrl, node).allocate({
          pod: { namespace: 'bench', name: containerId, uid: `uid-${containerId}` },
          containerId,
          mode: 'shared',
        });
        return { status: 200, ...(a.ip ? { ip: a.ip } : {}) };
      } catch (e) {
        return answerOf(e);
      }
    };
    const inProcessOnly =
      <T>(f: () => T) =>
      () => {
        if (o.leaderProcess) throw new Error('leaderProcess: the replicas are processes; read them through `observer`');
        return f();
      };
    const current = inProcessOnly(() => r);
    return {
      etcd,
      sim: s,
      get replica() {
        return current();
      },
      observer: follower ?? replicaObserver(() => r),
      prefix,
      ipamdArgv,
      ipamdEnv,
      freeIps: (node) => inProcessOnly(() => freeIps(node))(),
      allocate: (node, containerId) => allocateVia(apiUrl, node, containerId),
      allocateVia,
      release: async (node, containerId) => {
        try {
          await clientOf(apiUrl, node).release(containerId);
          return 204;
        } catch (e) {
          return answerOf(e).status;
        }
      },
      etcdRevision: async () => Number((await revisionClient.get('/').exec()).header.revision),
      simStats: async () =>
        (await (await fetch(`http://127.0.0.1:${s.port}/_sim/stats`)).json()) as Record<string, Record<string, number>>,
      stop: async () => {
        revisionClient.close();
        if (!o.leaderProcess) await r.stop().catch(() => undefined);
        await follower?.stop();
        if (leader) {
          leader.proc.kill('SIGTERM');
          await leader.exited;
        }
        await s.stop().catch(() => undefined);
        await etcd.cleanup();
      },
    };
  } catch (e) {
    await replica?.stop().catch(() => undefined);
    await follower?.stop().catch(() => undefined);
    leader?.proc.kill('SIGKILL');
    await sim?.stop().catch(() => undefined);
    await etcd.cleanup();
    throw e;
  }
};
