import { randomBytes } from 'node:crypto';
import { createCloudLogger, type VpcSimulator } from '@eni-ipam/cloud';
import { startTestSimulator, TEST_CREDENTIALS, TEST_REGION } from '@eni-ipam/cloud/testing';
import type { ClusterConfig } from '@eni-ipam/core';
import { createLogger, loadConfig, loadSecrets, nodeToken, type Replica, startReplica } from '@eni-ipam/ipamd';
import { setUpCluster, testConfig } from '@eni-ipam/ipamd/testing';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import type { NodeState } from '../ipamd/api.js';
import { SimTopology } from './sim-topology.js';

export interface IpamdHarnessOptions {
  /** The simulator's seed (e.g. `testSeed` from @eni-ipam/cloud/testing); instance i is node `node-<i>`. */
  seed: unknown;
  /** Node labels (namespace `<label>-<sfx>`) of the first instances: ['nA', 'nB'] -> node-0, node-1. */
  nodes: readonly string[];
  /** Overrides of ipamd's test cluster configuration (e.g. `preBind`). */
  cluster?: Partial<ClusterConfig>;
}

/** Polls `f` until it returns something other than undefined/false. */
export const until = async <T>(
  f: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 60_000,
) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * The real control plane for dataplane tests: etcd (Debian's, from @eni-ipam/store/testing), the
 * VPC simulator, and one ipamd replica (`startReplica`) on them, the cluster configured and the
 * nodes registered through ipamd's cluster set-up; the simulator drives a {@link SimTopology}, so
 * ENIs ipamd attaches appear in the node namespaces. ipamd can be stopped and started again on
 * the same URL (agents keep their configuration).
 */
export class IpamdHarness {
  readonly topo: SimTopology;
  readonly adminToken = randomBytes(24).toString('hex');
  private readonly secret = `dataplane-${randomBytes(16).toString('hex')}`;
  private readonly prefix = `/eni-ipam/dataplane-${randomBytes(4).toString('hex')}`;
  private etcd: EtcdCluster | undefined;
  sim: VpcSimulator | undefined;
  replica: Replica | undefined;
  /** ipamd's URL (the same across restarts). */
  url = '';
  /** ipamd's log lines (JSON), for failure messages. */
  readonly log: string[] = [];

  constructor(private readonly opts: IpamdHarnessOptions) {
    this.topo = new SimTopology({
      nodes: Object.fromEntries(opts.nodes.map((label, i) => [`ins-${String(i).padStart(8, '0')}`, label])),
    });
  }

  /** The ipamd node name and namespace of label `label`. */
  node(label: string): { name: string; ns: string; instanceId: string } {
    const i = this.opts.nodes.indexOf(label);
    if (i < 0) throw new Error(`IpamdHarness: no node ${label}`);
    const instanceId = `ins-${String(i).padStart(8, '0')}`;
    return { name: `node-${i}`, ns: this.topo.nodeNs(instanceId), instanceId };
  }

  token(node: string): string {
    return nodeToken(this.secret, node);
  }

  async start(): Promise<void> {
    this.etcd = await startEtcd();
    this.sim = await startTestSimulator({ seed: this.opts.seed, onChange: this.topo.onChange });
    await this.topo.start(this.sim.dump());
    const replica = await this.startIpamd();
    await setUpCluster(replica.core, replica.vpc, this.opts.nodes.length, testConfig(this.opts.cluster));
  }

  /** Starts ipamd (again, on the same URL after the first time) and waits until it leads. */
  async startIpamd(): Promise<Replica> {
    const sim = this.sim;
    if (!this.etcd || !sim) throw new Error('IpamdHarness: start() first');
    const listen = this.url ? this.url.replace(/^http:\/\//, '') : '127.0.0.1:0';
    const loaded = loadConfig({
      argv: [
        ...['--clusterid', 'cls-dataplane', '--region', TEST_REGION, '--replica-id', 'ipamd-0', '--listen', listen],
        ...['--etcd-endpoints', this.etcd.endpoints.join(','), '--etcd-prefix', this.prefix],
        ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`],
      ],
      env: {
        ENI_IPAM_AUTH_SECRET: this.secret,
        ENI_IPAM_ADMIN_TOKEN: this.adminToken,
        TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
      },
      hostname: 'test',
    });
    if (loaded.kind !== 'config') throw new Error(`ipamd configuration refused: ${JSON.stringify(loaded)}`);
    const replica = await startReplica(loaded.config, await loadSecrets(loaded.config), {
      logger: createLogger({
        level: 'info',
        replicaId: 'ipamd-0',
        destination: {
          write: (line: string) => {
            this.log.push(line);
            if (this.log.length > 2000) this.log.splice(0, 1000);
            if (process.env.DEBUG_IPAMD) process.stderr.write(line);
          },
        },
      }),
      electionTtlSeconds: 2,
      reconcileEveryMs: 200,
      vpc: {
        requestTimeoutMs: 10_000,
        taskPollIntervalMs: 10,
        retry: { maxAttempts: 12, baseDelayMs: 5, maxDelayMs: 100 },
        logger: createCloudLogger({ level: 'silent' }),
      },
      core: { executor: { retryAfterMs: 100 } },
    });
    this.replica = replica;
    this.url = replica.url;
    await until(() => replica.leading(), 'ipamd elected');
    return replica;
  }

  async stopIpamd(): Promise<void> {
    await this.replica?.stop();
    this.replica = undefined;
  }

  private async get<T>(path: string, token = this.adminToken): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** `GET /v1/nodes/{node}/state` with the node's own token. */
  nodeState(node: string): Promise<NodeState> {
    return this.get(`/v1/nodes/${node}/state`, this.token(node));
  }

  /** `GET /v1/nodes/{node}` (admin introspection): pool figures and the last acknowledged revision. */
  nodeSummary(node: string): Promise<{ bound: number; allocated: number; capacity: number; ackedRevision?: number }> {
    return this.get(`/v1/nodes/${node}`);
  }

  /** The revision the node's agent last acknowledged. */
  async ackedRevision(node: string): Promise<number | undefined> {
    return (await this.nodeSummary(node)).ackedRevision;
  }

  /** The revision of the last event in the node's feed: replays the feed from 0, then closes it. */
  async lastFeedRevision(node: string): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${this.url}/v1/nodes/${node}/feed?from=0`, {
      headers: { authorization: `Bearer ${this.adminToken}` },
      signal: abort.signal,
    });
    let text = '';
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    // the replay arrives at once; stop at the first quiet 300 ms
    for (;;) {
      const quiet = new Promise<'quiet'>((r) => setTimeout(() => r('quiet'), 300));
      const chunk = await Promise.race([reader?.read(), quiet]);
      if (chunk === 'quiet' || !chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    abort.abort();
    await reader?.cancel().catch(() => undefined);
    const revisions = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { revision: number }).revision);
    return revisions.at(-1) ?? 0;
  }

  /** Which ENI (id, MAC) the VPC has `ip` on, per the simulator. */
  eniOf(ip: string): { eniId: string; mac: string } | undefined {
    const e = this.sim?.dump().enis.find((x) => x.primaryIp === ip || x.secondaryIps.includes(ip));
    return e && { eniId: e.eniId, mac: e.mac.toLowerCase() };
  }

  /** Stops ipamd, the simulator and etcd and deletes the namespaces. Safe to call twice. */
  async stop(): Promise<void> {
    await this.stopIpamd().catch(() => undefined);
    await this.topo.destroy();
    await this.sim?.stop();
    this.sim = undefined;
    await this.etcd?.cleanup();
    this.etcd = undefined;
  }
}
