/**
 * Brings up the system under test for a chaos run: etcd in network namespaces, the simulator as a
 * process, the fake apiserver (in this process) with the ConfigMap, the Nodes and, during the run,
 * the pods; the cluster configured and nodes registered (once, by a short-lived in-process
 * replica), then 3 ipamd replicas as child processes, each with its Kubernetes side (the leader's
 * informers learn the pods' claim policies).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCloudLogger } from '@eni-ipam/cloud';
import { TEST_CREDENTIALS, TEST_POD_SUBNET, TEST_REGION, TEST_VPC, TEST_ZONE, testSeed } from '@eni-ipam/cloud/testing';
import { createLogger, loadConfig, loadSecrets, nodeToken, startReplica } from '@eni-ipam/ipamd';
import { setUpCluster, testConfig } from '@eni-ipam/ipamd/testing';
import { freePort } from '@eni-ipam/store/testing';
import { type FakeApiServer, makeNode, makePod, startFakeApiServer } from '../support/index.js';
import { type NsEtcdCluster, startNsEtcdCluster } from './netns-etcd.js';
import { IpamdProcess, SimProcess, waitUntil } from './processes.js';
import { NAMESPACE, type PodObjects } from './workload.js';

export const CLUSTER_ID = 'cls-chaos';
/** 10% throttling, 5% ambiguous outcomes (applied, connection dropped), 1% 5xx. */
export const CLOUD_FAULTS = { '*': { errorRate: 0.1, ambiguousRate: 0.05, http5xxRate: 0.01 } };

export interface System {
  etcd: NsEtcdCluster;
  sim: SimProcess;
  kube: FakeApiServer;
  /** The workload's pods as Kubernetes objects. */
  podObjects: PodObjects;
  replicas: IpamdProcess[];
  prefix: string;
  nodes: string[];
  secrets: { auth: string; admin: string };
  tokenOf: (node: string) => string;
  /** Environment and connection flags for ipamctl. */
  ctlArgs: string[];
  ctlEnv: Record<string, string>;
  lines: { id: string; line: string }[];
  teardown(): Promise<void>;
}

export const startSystem = async (o: { nodes: number; dir: string }): Promise<System> => {
  const etcd = await startNsEtcdCluster(3);
  const prefix = `/eni-ipam/${CLUSTER_ID}-${randomBytes(3).toString('hex')}`;
  const secrets = { auth: randomBytes(24).toString('hex'), admin: randomBytes(24).toString('hex') };
  const nodes = Array.from({ length: o.nodes }, (_, i) => `node-${i}`);
  const seedFile = join(o.dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(testSeed({ instances: o.nodes, podCidr: '10.1.0.0/22' })));
  const sim = new SimProcess({
    seedFile,
    stateFile: join(o.dir, 'sim-state.json'),
    port: await freePort(),
    credentials: TEST_CREDENTIALS,
    faults: {},
  });
  const replicas: IpamdProcess[] = [];
  const lines: { id: string; line: string }[] = [];
  const kube = await startFakeApiServer();
  const teardown = async () => {
    await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)));
    await sim.stop().catch(() => undefined);
    await kube.close().catch(() => undefined);
    etcd.teardown();
  };
  try {
    await sim.start();
    const kubeconfig = join(o.dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeConfigText());
    kube.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'kube-system', name: 'tke-eni-ipamd' },
      data: { TKE_ENI_IPAMD_VPC_ID: TEST_VPC, TKE_ENI_IPAMD_SUBNET_ID: TEST_POD_SUBNET },
    });
    nodes.forEach((n, i) => {
      const providerID = `qcloud:///${TEST_ZONE}/ins-${String(i).padStart(8, '0')}`;
      kube.create('nodes', makeNode(n, { zone: TEST_ZONE, providerID }));
    });
    const common = [
      ...['--clusterid', CLUSTER_ID, '--region', TEST_REGION],
      ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix],
      ...['--cloud-endpoint', sim.url],
    ];
    const env = {
      ENI_IPAM_AUTH_SECRET: secrets.auth,
      ENI_IPAM_ADMIN_TOKEN: secrets.admin,
      TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
    };

    // set-up: the configuration and the nodes, written by a replica that then resigns
    const loaded = loadConfig({
      argv: [...common, '--replica-id', 'chaos-setup', '--listen', '127.0.0.1:0'],
      env,
      hostname: 'chaos',
    });
    if (loaded.kind !== 'config') throw new Error('expected a configuration');
    const setup = await startReplica(loaded.config, await loadSecrets(loaded.config), {
      logger: createLogger({ level: 'silent', replicaId: 'chaos-setup' }),
      vpc: { logger: createCloudLogger({ level: 'silent' }) },
    });
    try {
      await waitUntil(() => setup.leading(), 30_000, 'the set-up replica elected');
      await setUpCluster(
        setup.core,
        setup.vpc,
        o.nodes,
        testConfig({ preBind: { min: 3, max: 6 }, releaseIntervalMs: 2000 }),
      );
    } finally {
      await setup.stop();
    }

    for (const id of ['ipamd-a', 'ipamd-b', 'ipamd-c']) {
      replicas.push(
        new IpamdProcess({
          id,
          args: [
            ...common,
            ...['--listen', '127.0.0.1:0', '--log-level', 'info', '--kubeconfig', kubeconfig],
            // the same pool settings as the set-up's (the Kubernetes side writes the flags' on election)
            ...['--prebind-min', '3', '--prebind-max', '6', '--release-interval', '2s'],
          ],
          env,
          onLine: (rid, line) => lines.push({ id: rid, line }),
        }),
      );
    }
    await Promise.all(replicas.map((r) => r.start()));
    await waitUntil(
      async () => (await Promise.all(replicas.map((r) => r.ready()))).every(Boolean),
      120_000,
      'replicas ready',
    );
    await sim.setFaults(CLOUD_FAULTS);
    sim.o.faults = CLOUD_FAULTS;
  } catch (e) {
    await teardown();
    throw e;
  }
  const podObjects: PodObjects = {
    create: ({ name, node, mode, statefulSet }) => {
      const pod = makePod(NAMESPACE, name, {
        node,
        eni: mode === 'exclusive' ? 'direct' : 'shared',
        ...(statefulSet
          ? {
              ownerStatefulSet: statefulSet,
              annotations: { 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy': 'Never' },
            }
          : {}),
      });
      return kube.create('pods', pod).metadata.uid as string;
    },
    delete: (name) => {
      kube.delete('pods', name, NAMESPACE);
    },
  };
  return {
    etcd,
    sim,
    kube,
    podObjects,
    replicas,
    prefix,
    nodes,
    secrets,
    tokenOf: (node) => nodeToken(secrets.auth, node),
    ctlArgs: [
      ...['--clusterid', CLUSTER_ID, '--region', TEST_REGION],
      ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix, '--cloud-endpoint', sim.url],
    ],
    ctlEnv: {
      TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
    },
    lines,
    teardown,
  };
};
