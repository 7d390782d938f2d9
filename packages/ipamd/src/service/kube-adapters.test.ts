import { adapterFor, startTestSimulator, TEST_ZONE } from '@eni-ipam/cloud/testing';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodInfo } from '../kube/ports.js';
import { ctx, setUpCluster, startCore, testConfig } from '../testing/service-fixture.js';
import type { IpamdCore } from './ipamd-core.js';
import { KubeConfigSink, KubeNodeLifecycle, KubePodLifecycle, reconcileFlagSettings } from './kube-adapters.js';

const FLAGS = {
  preBind: { min: 2, max: 4 },
  releaseIntervalMs: 60_000,
  claimExpiryMs: 600_000,
  poolPolicy: 'warm' as const,
};
const web0 = (uid: string): PodInfo => ({
  namespace: 'default',
  name: 'web-0',
  uid,
  node: 'node-0',
  network: 'tke-route-eni',
  claimPolicy: 'Never',
  statefulSet: 'web',
  terminating: false,
  phase: 'Running',
});

describe('the Kubernetes ports over the service (in-memory store, simulated VPC)', () => {
  let sim: Awaited<ReturnType<typeof startTestSimulator>>;
  let core: IpamdCore | undefined;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await core?.stop();
    core = undefined;
    await sim.stop();
  });

  const boot = async (configure = true) => {
    const store = new InMemoryEventStore();
    const fence = store.grantLeadership('leader');
    const vpc = adapterFor(sim);
    let pods: KubePodLifecycle | undefined;
    const c = await startCore({
      store,
      vpc,
      fence,
      extra: { service: { claimPolicyOf: (_n, p) => pods?.claimPolicyOf(p) } },
    });
    core = c;
    const deps = { commands: c.commands, host: c.host, vpc, flags: FLAGS };
    pods = new KubePodLifecycle(deps);
    if (configure) await setUpCluster(c, vpc, 1, testConfig({ claimExpiryMs: 600_000 }));
    await c.settle();
    return { c, deps, pods };
  };

  it('pod deletion acts on the uid: a recreated StatefulSet pod keeps its new address, the old one is retained', async () => {
    const { c, pods } = await boot();
    await pods.podSeen(web0('uid-1'));
    const first = await c.service.allocate(
      'node-0',
      { pod: { namespace: 'default', name: 'web-0', uid: 'uid-1' }, containerId: 'k1', mode: 'shared' },
      ctx('node-0'),
    );
    // CNI DEL never came (node lost the call): the pod's deletion releases it; the claim is kept
    await pods.podDeleted(web0('uid-1'));
    await c.settle();
    expect(c.host.claims()['default/web-0']).toMatchObject({ state: 'retained', ip: first.ip });

    await pods.podSeen(web0('uid-2'));
    const second = await c.service.allocate(
      'node-0',
      { pod: { namespace: 'default', name: 'web-0', uid: 'uid-2' }, containerId: 'k2', mode: 'shared' },
      ctx('node-0'),
    );
    expect(second.ip).toBe(first.ip);
    // a late, retried deletion of the old pod changes nothing for the new one
    await pods.podDeleted(web0('uid-1'));
    expect(c.host.node('node-0').allocations.k2?.ip).toBe(first.ip);
    expect(pods.claimPolicyOf({ namespace: 'default', name: 'web-0', uid: 'uid-2' })).toBe('Never');
  });

  it('nodes: registered once from their facts, drained and removed after their deletion', async () => {
    const { c, deps } = await boot();
    const nodes = new KubeNodeLifecycle(deps);
    const facts = { instanceId: 'ins-00000001', zone: TEST_ZONE, labels: {} };
    await nodes.nodeAppeared('node-1', facts);
    const v = c.host.node('node-1').version;
    await nodes.nodeAppeared('node-1', facts); // repeated: nothing appended
    expect(c.host.node('node-1').version).toBe(v);
    await c.settle();
    expect(Object.keys(c.host.node('node-1').enis).length).toBeGreaterThan(0);
    await nodes.nodeDeleted('node-1');
    expect(c.host.node('node-1').status).toBe('draining');
    await expect(nodes.nodeAppeared('node-1', facts)).rejects.toMatchObject({ code: 'NodeDraining' });
    await c.settle();
    expect(Object.keys(c.host.node('node-1').enis)).toEqual([]);
    expect(await nodes.removeIfDrained('node-1')).toBe(true);
    expect(c.host.node('node-1').status).toBe('removed');
  });

  it('the config sink starts from the flags; the flags win over what the stream has', async () => {
    const { c, deps } = await boot(false);
    const sink = new KubeConfigSink(deps);
    expect(sink.current()).toMatchObject({ vpcId: '', subnets: [], ...FLAGS });
    expect(await reconcileFlagSettings(deps)).toBe(false); // no configuration yet: nothing written
    await setUpCluster(c, deps.vpc, 0, testConfig());
    expect(await reconcileFlagSettings(deps)).toBe(true);
    expect(c.host.projection.cluster.config).toMatchObject({ subnets: ['subnet-pods0001'], ...FLAGS });
    expect(await reconcileFlagSettings(deps)).toBe(false);
    const facts = await sink.subnetFacts(['subnet-pods0001', 'subnet-nope0001']);
    expect(facts.isEmptyInVpc('subnet-nope0001')).toBeUndefined();
  });
});
