/**
 * The Kubernetes scenario of issue 5 on one ipamd replica (in process, a ManualClock), real etcd,
 * the VPC simulator through the real SDK, and the fake apiserver: 3 nodes in two zones, subnets
 * in both; shared pods created and deleted in waves (pools converge to [pods+min, pods+max],
 * slow release paced by the fake clock, new ENIs in the zone's subnet with most free IPs, node
 * extended resources as the pool view says); exclusive pods on a node with direct-ENI pods;
 * static IPs (same IP on recreate, Immediate released, claim in another zone refused with a pod
 * Event, expiry after --claim-expired-duration); the ConfigMap adds a subnet live and a malformed
 * one is rejected; a deleted Node's ENIs are detached and deleted in the simulator.
 */
import { randomBytes } from 'node:crypto';
import { createCloudLogger } from '@eni-ipam/cloud';
import { startTestSimulator, TEST_CREDENTIALS, TEST_REGION, TEST_VPC } from '@eni-ipam/cloud/testing';
import { type api, ENI_IP_RESOURCE, ManualClock } from '@eni-ipam/core';
import { createLogger, loadConfig, loadSecrets, nodeToken, type Replica, startReplica } from '@eni-ipam/ipamd';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeApiServer, makeNode, makePod, startFakeApiServer, waitFor } from './support/index.js';

const SECRET = `scenario-${randomBytes(16).toString('hex')}`;
const Z3 = 'ap-guangzhou-3';
const Z4 = 'ap-guangzhou-4';
const BIG = 'subnet-pods0001'; // zone 3, /24
const SMALL = 'subnet-pods0002'; // zone 3, /26: fewer free IPs
const Z4SUB = 'subnet-zone4001'; // zone 4
const LATE = 'subnet-late0001'; // zone 3, added live
const NODES = { a: 'node-a', b: 'node-b', c: 'node-c' } as const; // a, b: zone 3; c: zone 4
const INSTANCE = { 'node-a': 'ins-00000000', 'node-b': 'ins-00000001', 'node-c': 'ins-00000002' } as const;
const CLAIM = 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy';
const MIN = 5;
const MAX = 5;
const RELEASE_MS = 120_000;

describe('ipamd with Kubernetes: the scenario of issue 5', () => {
  let etcd: EtcdCluster;
  let sim: Awaited<ReturnType<typeof startTestSimulator>>;
  let kube: FakeApiServer;
  let replica: Replica;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));

  beforeAll(async () => {
    [etcd, sim, kube] = await Promise.all([
      startEtcd(),
      startTestSimulator({
        seed: {
          region: TEST_REGION,
          vpc: { vpcId: TEST_VPC, cidr: '10.0.0.0/8' },
          subnets: [
            { subnetId: BIG, cidr: '10.1.0.0/24', zone: Z3, name: 'big' },
            { subnetId: SMALL, cidr: '10.4.0.0/26', zone: Z3, name: 'small' },
            { subnetId: Z4SUB, cidr: '10.3.0.0/24', zone: Z4, name: 'z4' },
            { subnetId: LATE, cidr: '10.5.0.0/24', zone: Z3, name: 'late' },
          ],
          instanceTypes: { 'S5.LARGE8': { maxEnis: 8, ipsPerEni: 10 } },
          instances: Object.entries(INSTANCE).map(([node, instanceId]) => ({
            instanceId,
            instanceType: 'S5.LARGE8',
            zone: node === NODES.c ? Z4 : Z3,
          })),
        },
      }),
      startFakeApiServer(),
    ]);
    kube.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'kube-system', name: 'tke-eni-ipamd' },
      data: { TKE_ENI_IPAMD_VPC_ID: TEST_VPC, TKE_ENI_IPAMD_SUBNET_ID: `${BIG}:${SMALL}:${Z4SUB}` },
    });
    for (const [node, ins] of Object.entries(INSTANCE)) {
      const zone = node === NODES.c ? Z4 : Z3;
      kube.create('nodes', makeNode(node, { zone, providerID: `qcloud:///${zone}/${ins}` }));
    }
    const loaded = loadConfig({
      argv: [
        ...['--clusterid', 'cls-scenario', '--region', TEST_REGION, '--listen', '127.0.0.1:0'],
        ...[
          '--etcd-endpoints',
          etcd.endpoints.join(','),
          '--etcd-prefix',
          `/eni-ipam/sc-${randomBytes(4).toString('hex')}`,
        ],
        ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`, '--claim-expired-duration', '10m0s'],
      ],
      env: {
        ENI_IPAM_AUTH_SECRET: SECRET,
        TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
      },
      hostname: 'scenario',
    });
    if (loaded.kind !== 'config') throw new Error('expected a configuration');
    replica = await startReplica(loaded.config, await loadSecrets(loaded.config), {
      clock,
      logger: createLogger({
        level: process.env.DEBUG_IPAMD ? 'debug' : 'silent',
        replicaId: 'scenario',
        destination: { write: (l: string) => process.stderr.write(l) },
      }),
      electionTtlSeconds: 5,
      reconcileEveryMs: 100,
      claimExpiryEveryMs: 100,
      vpc: {
        requestTimeoutMs: 10_000,
        taskPollIntervalMs: 5,
        retry: { maxAttempts: 12, baseDelayMs: 2, maxDelayMs: 40 },
        logger: createCloudLogger({ level: 'silent' }),
      },
      core: { executor: { retryAfterMs: 100 } },
      kube: { kubeConfig: kube.kubeConfig(), sync: { statusIntervalMs: 50 } },
    });
  }, 120_000);
  afterAll(async () => {
    await replica?.stop();
    await kube?.close();
    await sim?.stop();
    await etcd?.cleanup();
  });

  const host = () => replica.core.host;
  const view = (node: string) => host().nodePoolView(node);
  const quiet = (node: string) => Object.keys(host().node(node).intents).length === 0;
  /** Idle bound IPs (shared) or idle ENIs (exclusive) on the node. */
  const idle = (node: string) => view(node).counts.free;

  const post = async (
    node: string,
    pod: V1Pod,
    mode: 'shared' | 'exclusive',
    containerId = `ctr-${pod.metadata?.uid}`,
  ) => {
    const res = await fetch(`${replica.url}/v1/nodes/${node}/allocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nodeToken(SECRET, node)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        pod: { namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
        containerId,
        mode,
      }),
    });
    return { status: res.status, body: (await res.json()) as api.Allocation & { code?: string } };
  };
  const allocate = (node: string, pod: V1Pod, mode: 'shared' | 'exclusive') =>
    waitFor(
      async () => {
        const r = await post(node, pod, mode);
        if (r.status === 200) return r.body;
        if (r.status !== 503)
          throw new Error(`allocation of ${pod.metadata?.name}: ${r.status} ${JSON.stringify(r.body)}`);
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: `an address for ${pod.metadata?.name}` },
    );
  const release = async (node: string, pod: V1Pod) => {
    const res = await fetch(`${replica.url}/v1/nodes/${node}/allocations/ctr-${pod.metadata?.uid}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${nodeToken(SECRET, node)}` },
    });
    expect(res.status).toBe(204);
  };
  /** Creates the pod in Kubernetes and waits until ipamd's pod cache has it (claim policy known). */
  const createPod = async (pod: V1Pod) => {
    const created = kube.create<V1Pod>('pods', pod);
    await waitFor(
      () =>
        replica.kube?.pods.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')?.uid === created.metadata?.uid,
      {
        what: `ipamd saw pod ${pod.metadata?.name}`,
      },
    );
    return created;
  };
  const deletePod = async (node: string, pod: V1Pod) => {
    await release(node, pod);
    kube.delete('pods', pod.metadata?.name ?? '', pod.metadata?.namespace);
  };

  /** Pools within [pods+min, pods+max] and quiet. */
  const converged = (node: string) => {
    const free = idle(node);
    return quiet(node) && free >= MIN && free <= MAX;
  };
  /** Advances the fake clock one release interval at a time until the node's pool is within its bounds. */
  const releaseUntilConverged = async (node: string) => {
    for (let i = 0; i < 80 && !converged(node); i++) {
      // whatever is due at this clock time is planned and done first
      await replica.core.reconciler.tick();
      await replica.core.settle();
      await waitFor(() => quiet(node), { what: `${node} quiet` });
      const before = view(node).counts.bound;
      // nothing is released while the clock stands still (but the first, unpaced step)
      await new Promise((r) => setTimeout(r, 300));
      const s = host().node(node);
      if (i > 0)
        expect(
          view(node).counts.bound,
          `${node} step ${i}: last ${s.lastReleaseAt} now ${new Date(clock.now()).toISOString()} ${JSON.stringify(view(node).counts)}`,
        ).toBe(before);
      clock.advance(RELEASE_MS);
      await waitFor(() => view(node).counts.bound < before || converged(node), {
        timeoutMs: 20_000,
        what: `${node}: a paced release after the clock moved`,
      });
    }
    await waitFor(() => converged(node), { what: `${node} converged` });
  };
  const resourcesMatch = (node: string) => {
    const n = kube.get<V1Node>('nodes', node);
    const want = view(node).resources[ENI_IP_RESOURCE];
    return (
      Number(n.status?.allocatable?.[ENI_IP_RESOURCE]) === want.allocatable &&
      Number(n.status?.capacity?.[ENI_IP_RESOURCE]) === want.capacity
    );
  };

  it('registers the nodes and fills their pools from the configured subnets', async () => {
    await waitFor(() => Object.values(NODES).every((n) => host().node(n).status === 'active'), {
      timeoutMs: 60_000,
      what: 'three nodes registered from Kubernetes',
    });
    await waitFor(() => converged(NODES.a) && converged(NODES.c), { timeoutMs: 60_000, what: 'warm pools filled' });
    // new ENIs: in the node's zone, from the subnet with most free IPs
    for (const e of Object.values(host().node(NODES.a).enis)) expect(e.subnetId).toBe(BIG);
    for (const e of Object.values(host().node(NODES.c).enis)) expect(e.subnetId).toBe(Z4SUB);
    await waitFor(() => resourcesMatch(NODES.a) && resourcesMatch(NODES.c), { what: 'extended resources published' });
  }, 90_000);

  it('shared pods in waves: pools converge to [pods+min, pods+max], release paced by the clock', async () => {
    const pods: { node: string; pod: V1Pod }[] = [];
    const wave = async (node: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const pod = await createPod(makePod('default', `sh-${node}-${pods.length}`, { node }));
        const a = await allocate(node, pod, 'shared');
        expect(a.ip).toBeTruthy();
        pods.push({ node, pod });
      }
    };
    await Promise.all([wave(NODES.a, 20), wave(NODES.c, 10)]);
    await waitFor(() => converged(NODES.a) && converged(NODES.c), { timeoutMs: 60_000, what: 'pools refilled' });
    expect(view(NODES.a).counts.allocated).toBe(20);
    await waitFor(() => resourcesMatch(NODES.a) && resourcesMatch(NODES.c), { what: 'resources after wave 1' });

    // wave 2: most pods of node-a go; the surplus is released one step per interval
    for (const p of pods.filter((x) => x.node === NODES.a).slice(0, 15)) await deletePod(p.node, p.pod);
    await releaseUntilConverged(NODES.a);
    expect(view(NODES.a).counts.allocated).toBe(5);

    // wave 3: 20 more (50 shared pods in all), then every pod goes
    await wave(NODES.c, 20);
    await waitFor(() => converged(NODES.c), { timeoutMs: 60_000, what: 'node-c refilled' });
    expect(view(NODES.c).counts.allocated).toBe(30);
    for (const p of pods.filter((x) => host().node(x.node).allocations[`ctr-${x.pod.metadata?.uid}`])) {
      await deletePod(p.node, p.pod);
    }
    await releaseUntilConverged(NODES.a);
    await releaseUntilConverged(NODES.c);
    expect(view(NODES.c).counts.allocated).toBe(0);
    await waitFor(() => resourcesMatch(NODES.a) && resourcesMatch(NODES.c), { what: 'resources after the waves' });
    // 28 s alone; 130 s in a full CI run beside the chaos run (one run hit 180 s): the e2e default
  }, 300_000);

  it('exclusive pods take whole ENIs on a node with direct-ENI pods and give them back', async () => {
    const node = NODES.b;
    const pods: V1Pod[] = [];
    for (let i = 0; i < 6; i++) pods.push(await createPod(makePod('default', `ex-${i}`, { node, eni: 'direct' })));
    const enis = new Set<string>();
    for (const pod of pods) enis.add((await allocate(node, pod, 'exclusive')).eniId ?? '');
    expect(enis.size).toBe(6);
    expect(Object.keys(host().node(node).assignments)).toHaveLength(6);
    for (const pod of pods) await deletePod(node, pod);
    await waitFor(() => Object.keys(host().node(node).assignments).length === 0, { what: 'ENIs returned' });
  }, 120_000);

  it('static IPs: same IP on recreate, Immediate released, claim elsewhere refused, expiry after the duration', async () => {
    const web = (node: string) =>
      makePod('default', 'web-0', { node, ownerStatefulSet: 'web', annotations: { [CLAIM]: 'Never' } });
    const first = await createPod(web(NODES.a));
    const ip = (await allocate(NODES.a, first, 'shared')).ip;
    await deletePod(NODES.a, first);
    await waitFor(() => host().claims()['default/web-0']?.state === 'retained', { what: 'claim retained' });

    const second = await createPod(web(NODES.a));
    expect(second.metadata?.uid).not.toBe(first.metadata?.uid);
    expect((await allocate(NODES.a, second, 'shared')).ip).toBe(ip);
    await deletePod(NODES.a, second);
    await waitFor(() => host().claims()['default/web-0']?.state === 'retained', { what: 'claim retained again' });

    // recreated on the zone-4 node: the claim's subnet is out of reach
    const third = await createPod(web(NODES.c));
    // the claimed IP leaves node-a's ENI first (unbound when the claim was retained)
    await waitFor(() => !Object.values(host().node(NODES.a).enis).some((e) => e.ips[ip] !== undefined), {
      what: 'the claimed IP unbound from node-a',
    });
    const refused = await post(NODES.c, third, 'shared');
    expect(refused, JSON.stringify(refused)).toMatchObject({ status: 409, body: { code: 'ClaimInOtherSubnet' } });
    await waitFor(
      () =>
        kube
          .list<CoreV1Event>('events', 'default')
          .some((e) => e.reason === 'VpcIpClaimInOtherSubnet' && e.involvedObject.name === 'web-0'),
      { what: 'a Warning Event on the pod' },
    );
    kube.delete('pods', 'web-0', 'default');

    // Immediate: nothing is kept
    const db = await createPod(
      makePod('default', 'db-0', { node: NODES.a, ownerStatefulSet: 'db', annotations: { [CLAIM]: 'Immediate' } }),
    );
    const dbIp = (await allocate(NODES.a, db, 'shared')).ip;
    await deletePod(NODES.a, db);
    expect(host().claims()['default/db-0']).toBeUndefined();
    expect(Object.values(host().node(NODES.a).allocations).some((a) => a.ip === dbIp)).toBe(false);

    // the kept claim expires once --claim-expired-duration (10m) has passed on the clock
    expect(host().claims()['default/web-0']).toBeDefined();
    clock.advance(10 * 60_000 + 1000);
    await waitFor(() => host().claims()['default/web-0'] === undefined, { what: 'claim expired' });
  }, 120_000);

  it('the ConfigMap adds a subnet live; a malformed one is rejected and the old config stays', async () => {
    kube.patch(
      'configmaps',
      'tke-eni-ipamd',
      { data: { TKE_ENI_IPAMD_SUBNET_ID: `${BIG}:${SMALL}:${Z4SUB}:${LATE}` } },
      {
        type: 'merge',
        namespace: 'kube-system',
      },
    );
    await waitFor(() => host().projection.cluster.config?.subnets.includes(LATE) && host().subnet(LATE).registered, {
      what: 'subnet added live',
    });
    kube.patch(
      'configmaps',
      'tke-eni-ipamd',
      { data: { TKE_ENI_IPAMD_SUBNET_ID: `${BIG}:subnet-NOT_OK` } },
      {
        type: 'merge',
        namespace: 'kube-system',
      },
    );
    await waitFor(() => kube.list<CoreV1Event>('events', 'kube-system').some((e) => e.reason === 'ConfigRejected'), {
      what: 'ConfigRejected Event',
    });
    expect(host().projection.cluster.config?.subnets).toEqual([BIG, SMALL, Z4SUB, LATE]);
  }, 60_000);

  it('a deleted Node: its ENIs are detached and deleted in the simulator, the node removed', async () => {
    const enis = Object.keys(host().node(NODES.c).enis);
    expect(enis.length).toBeGreaterThan(0);
    kube.delete('nodes', NODES.c);
    // draining releases are paced like any release: move the clock along while waiting
    await waitFor(
      () => {
        if (host().node(NODES.c).status === 'removed') return true;
        clock.advance(RELEASE_MS);
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'node-c removed' },
    ).catch((e: unknown) => {
      const s = host().node(NODES.c);
      throw new Error(
        `${String(e)}: ${JSON.stringify({ status: s.status, enis: s.enis, intents: s.intents, allocations: s.allocations })}`,
      );
    });
    const left = await replica.vpc.describeEnis({ vpcId: TEST_VPC });
    expect(left.filter((e) => enis.includes(e.eniId))).toEqual([]);
  }, 90_000);
});
