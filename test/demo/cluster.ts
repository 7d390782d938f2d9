/**
 * The embedded cluster of the demo: etcd (spawned, temp data dir on /dev/shm, random ports), the
 * VPC simulator (seeds/demo.json widened to the requested nodes, two zones), the fake
 * kube-apiserver with the Nodes and the TKE ConfigMap, three ipamd processes (`--kubeconfig` on
 * it) behind a loopback Service front, and one node agent per node. Everything started is registered in `cleanups` and stopped in reverse.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVpcSimulator, type VpcSimulator } from '@eni-ipam/cloud';
import { nodeToken } from '@eni-ipam/ipamd';
import { type EtcdCluster, freePort, startEtcd } from '@eni-ipam/store/testing';
import { type FakeApiServer, instanceIdFor, makeNode, startFakeApiServer, waitFor } from '../support/index.js';
import { NetnsHost } from './netns.js';
import { buildCniPlugin, type DemoNode, NodeAgents } from './node-agents.js';
import { IpamdProcess, startServiceFront } from './replicas.js';

export const CLUSTER_ID = 'cls-demo';
export const ZONES = ['ap-guangzhou-3', 'ap-guangzhou-4'] as const;
const SUBNETS = ['subnet-demo0003', 'subnet-demo0004'];
const CREDENTIALS = { secretId: 'AKIDdemo0000000000000000000000000000', secretKey: 'demo-secret-key-0000000000000000' };
const PRE_BIND = { min: 2, max: 4 };

export interface Cluster {
  workDir: string;
  etcd: EtcdCluster;
  sim: VpcSimulator;
  kube: FakeApiServer;
  replicas: IpamdProcess[];
  service: { url: string };
  nodes: DemoNode[];
  agents: NodeAgents;
  /** Set in netns mode (real namespaces, pings). */
  netns?: NetnsHost;
  prefix: string;
  adminToken: string;
  kubeconfigPath: string;
  /** ipamctl's connection flags. */
  ipamctlArgs: string[];
}

export type Say = (line: string) => void;

export class Cleanups {
  private readonly list: { what: string; fn: () => unknown }[] = [];
  add(what: string, fn: () => unknown): void {
    this.list.push({ what, fn });
  }
  /** Runs every cleanup in reverse order; one failing does not stop the others. */
  async run(say: Say = () => undefined): Promise<void> {
    while (this.list.length) {
      const c = this.list.pop();
      if (!c) break;
      try {
        await c.fn();
      } catch (e) {
        say(`cleanup of ${c.what} failed: ${(e as Error).message}`);
      }
    }
  }
}

const seedFor = (repoRoot: string, nodes: DemoNode[]) => {
  const seed = JSON.parse(readFileSync(join(repoRoot, 'packages', 'cloud', 'seeds', 'demo.json'), 'utf8')) as {
    instances: { instanceId: string; instanceType: string; zone: string }[];
  };
  const types = ['S5.MEDIUM4', 'S5.LARGE8'];
  seed.instances = nodes.map((n, i) => ({
    instanceId: n.instanceId,
    instanceType: types[i % 2] ?? 'S5.MEDIUM4',
    zone: n.zone,
  }));
  return seed;
};

export const startCluster = async (o: {
  repoRoot: string;
  nodeCount: number;
  cleanups: Cleanups;
  say: Say;
  /** Real network namespaces (root): the simulator made real, agents in node namespaces. */
  netns?: boolean;
}): Promise<Cluster> => {
  const { cleanups, say } = o;
  const workDir = mkdtempSync(join(tmpdir(), 'eni-ipam-demo-'));
  cleanups.add('the work dir', () => rmSync(workDir, { recursive: true, force: true }));
  const authSecret = randomBytes(32).toString('hex');
  const adminToken = randomBytes(32).toString('hex');
  const nodes: DemoNode[] = Array.from({ length: o.nodeCount }, (_, i) => {
    const zone = ZONES[i % 2] ?? ZONES[0];
    const name = `10.0.${zone.endsWith('3') ? 1 : 2}.${10 + i}`;
    return { name, zone, instanceId: instanceIdFor(name), token: nodeToken(authSecret, name) };
  });

  say('starting etcd (a local member, data dir on /dev/shm), the VPC simulator and the fake kube-apiserver');
  const pluginBuild = buildCniPlugin(join(workDir, 'cni-bin'));
  const etcd = await startEtcd();
  cleanups.add('etcd', () => etcd.cleanup());
  const netns = o.netns ? new NetnsHost(nodes) : undefined;
  const sim = await startVpcSimulator({
    seed: seedFor(o.repoRoot, nodes),
    credentials: [CREDENTIALS],
    port: 0,
    host: '127.0.0.1',
    ...(netns ? { onChange: netns.topo.onChange } : {}),
  });
  cleanups.add('the VPC simulator', () => sim.stop());
  if (netns) {
    // registered before it is built: a half-built topology is removed too
    cleanups.add(`the network namespaces (*-${netns.suffix}) and agent processes`, () => netns.stop());
    await netns.topo.start(sim.dump());
    say(`network namespaces: vpc-${netns.suffix} (the VPC bridge) and one per node; ENIs appear as veths`);
  }
  const kube = await startFakeApiServer({ bookmarkIntervalMs: 1_000 });
  cleanups.add('the fake kube-apiserver', () => kube.close());
  const kubeconfigPath = join(workDir, 'kubeconfig.json');
  writeFileSync(kubeconfigPath, kube.kubeConfigText(), { mode: 0o600 });
  for (const n of nodes) kube.create('nodes', makeNode(n.name, { zone: n.zone }));
  kube.create('configmaps', {
    metadata: { namespace: 'kube-system', name: 'tke-eni-ipamd' },
    data: { TKE_ENI_IPAMD_SUBNET_ID: SUBNETS.join(':'), TKE_ENI_IPAMD_VPC_ID: 'vpc-demo0001' },
  });

  const prefix = `/eni-ipam/${CLUSTER_ID}`;
  const common = [
    ...['--clusterid', CLUSTER_ID, '--region', sim.region],
    ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix],
    ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`],
    ...['--prebind-min', String(PRE_BIND.min), '--prebind-max', String(PRE_BIND.max), '--release-interval', '10s'],
  ];
  const env = {
    PATH: process.env.PATH,
    ENI_IPAM_AUTH_SECRET: authSecret,
    ENI_IPAM_ADMIN_TOKEN: adminToken,
    TENCENTCLOUD_SECRET_ID: CREDENTIALS.secretId,
    TENCENTCLOUD_SECRET_KEY: CREDENTIALS.secretKey,
  };

  const replicas: IpamdProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    const id = `ipamd-${i}`;
    replicas.push(
      new IpamdProcess(
        {
          id,
          port,
          args: [
            ...common,
            ...['--replica-id', id, '--listen', `127.0.0.1:${port}`, '--kubeconfig', kubeconfigPath],
            ...['--log-level', process.env.DEMO_IPAMD_LOG_LEVEL ?? 'warn'],
          ],
          env,
        },
        o.repoRoot,
      ),
    );
  }
  say(
    'starting 3 ipamd replicas (packages/ipamd/bin/ipamd.mjs --kubeconfig): one leads through an etcd election' +
      ' and learns the ConfigMap, the Nodes and the Pods from the apiserver',
  );
  cleanups.add('the ipamd replicas', () => Promise.all(replicas.map((r) => r.kill('SIGTERM'))));
  for (const r of replicas) r.start();
  const service = await startServiceFront(() => replicas);
  cleanups.add('the ipamd service front', () => service.close());
  await waitFor(async () => (await Promise.all(replicas.map((r) => r.ready()))).every(Boolean), {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: 'the ipamd replicas ready',
  }).catch((e) => {
    throw new Error(`${(e as Error).message}\n${replicas.map((r) => `--- ${r.spec.id}\n${r.log}`).join('\n')}`);
  });

  await waitFor(
    async () => {
      const res = await fetch(`${service.url}/v1/nodes`, { headers: { authorization: `Bearer ${adminToken}` } });
      const list = res.ok ? ((await res.json()) as { nodes: { name: string }[] }) : { nodes: [] };
      return nodes.every((n) => list.nodes.some((x) => x.name === n.name));
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'every Kubernetes Node registered by ipamd' },
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\n${replicas.map((r) => `--- ${r.spec.id}\n${r.log}`).join('\n')}`);
  });
  say(`ipamd applied the ConfigMap (subnets ${SUBNETS.join(', ')}) and registered the ${nodes.length} Nodes`);
  const pluginDir = await pluginBuild;
  say(`starting ${nodes.length} node agents; the CNI plugin (C shim) was built into ${pluginDir}`);
  const agents = new NodeAgents({
    workDir,
    pluginDir,
    ipamdUrl: service.url,
    ...(netns ? { netns } : {}),
    attachedMacs: (instanceId) =>
      sim
        .dump()
        .enis.filter((e) => e.instanceId === instanceId && e.state === 'AVAILABLE')
        .map((e) => e.mac.toLowerCase()),
  });
  cleanups.add('the node agents', () => agents.stop());
  await Promise.all(nodes.map((n) => agents.start(n)));

  const ipamctlArgs = [
    '--clusterid',
    CLUSTER_ID,
    '--etcd-endpoints',
    etcd.endpoints.join(','),
    '--etcd-prefix',
    prefix,
  ];
  return {
    workDir,
    etcd,
    sim,
    kube,
    replicas,
    service,
    nodes,
    agents,
    ...(netns ? { netns } : {}),
    prefix,
    adminToken,
    kubeconfigPath,
    ipamctlArgs,
  };
};
