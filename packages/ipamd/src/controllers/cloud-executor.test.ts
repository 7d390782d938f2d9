import { ManualClock } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createIpamdCore, type IpamdCore } from '../service/ipamd-core.js';
import { FakeVpc } from '../testing/fake-vpc.js';
import { CLUSTER_ID, POD_SUBNET, setUpCluster } from '../testing/service-fixture.js';

const boundIps = (core: IpamdCore, node: string) =>
  Object.values(core.host.node(node).enis)
    .flatMap((e) => Object.values(e.ips))
    .filter((i) => i.status === 'bound').length;

describe('CloudExecutor', () => {
  const cores: IpamdCore[] = [];
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.stop();
  });
  const make = (store: InMemoryEventStore, vpc: FakeVpc, concurrency = 4, retryAfterMs = 5) => {
    const fence = store.grantLeadership(`l-${cores.length}`);
    const core = createIpamdCore({
      store,
      vpc,
      clock: new ManualClock(),
      clusterId: CLUSTER_ID,
      writer: { replica: 'r', term: 0 },
      fence: () => fence,
      executor: {
        retryAfterMs,
        concurrency,
        onError: (i, e) => process.env.DEBUG_IPAMD && console.log('exec', i, e),
      },
      reconciler: { onError: (_n, a, e) => process.env.DEBUG_IPAMD && console.log('rec', a, e) },
    });
    cores.push(core);
    return core;
  };

  it('given an ambiguous create that did happen, it finds the ENI by its intent tag: never a second ENI', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    vpc.failNext('createEni', 'CloudAmbiguous', true);
    const core = make(store, vpc);
    await core.start();
    await setUpCluster(core, vpc, 1);
    await core.settle();
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
    expect(vpc.calls.filter((c) => c === 'createEni')).toHaveLength(1);
    expect(vpc.enis.size).toBe(1);
    const [eni] = vpc.enis.values();
    expect(eni?.tags).toContainEqual({ key: 'eni-ipam/cluster', value: CLUSTER_ID });
    expect(Object.keys(core.host.node('node-0').enis)).toEqual([eni?.eniId]);
  });

  it('on start-up it resolves an intent left pending by a crash from the cloud, without calling again', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const before = make(store, vpc);
    await before.host.start(); // no controllers: the "crashed" replica's intents stay pending
    await setUpCluster(before, vpc, 1);
    await before.commands.node({ type: 'RequestEniCreate', node: 'node-0', subnetId: POD_SUBNET, why: 'test' });
    const [intent] = Object.values(before.host.node('node-0').intents);
    if (!intent) throw new Error('no intent');
    // the crashed replica's call had created the ENI before it died
    await vpc.createEni({
      clientToken: intent.intentId,
      vpcId: 'vpc-test0001',
      subnetId: POD_SUBNET,
      name: 'x',
      tags: [
        { key: 'eni-ipam/cluster', value: CLUSTER_ID },
        { key: 'eni-ipam/intent', value: intent.intentId },
      ],
    });
    vpc.calls.length = 0;
    const after = make(store, vpc);
    await after.start();
    await after.settle();
    await after.host.waitUntil(() => boundIps(after, 'node-0') === 2, 5_000);
    expect(vpc.calls[0]).toBe('describeEnis');
    expect(vpc.calls.filter((c) => c === 'createEni')).toHaveLength(0);
    expect(vpc.enis.size).toBe(1);
  });

  it('records a final cloud refusal as the failed outcome (bind failed, addresses freed)', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    vpc.failNext('assignIps', 'CloudCapacity');
    const core = make(store, vpc);
    await core.start();
    await setUpCluster(core, vpc, 1);
    await core.settle();
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
    const events = (await store.readStream('node/node-0')).map((e) => e.type);
    expect(events).toContain('IpBindFailed');
    const subnet = core.host.subnet(POD_SUBNET);
    const held = Object.values(subnet.addresses).filter((a) => a.status !== 'primary');
    expect(held).toHaveLength(2); // the failed bind's reservation was freed
  });

  it('leaves an intent pending after a retryable failure and completes it later', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    vpc.failNext('attachEni', 'CloudRetryable');
    const core = make(store, vpc);
    await core.start();
    await setUpCluster(core, vpc, 1);
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
    const events = (await store.readStream('node/node-0')).map((e) => e.type);
    expect(events).not.toContain('EniOperationFailed');
    expect(vpc.calls.filter((c) => c === 'attachEni')).toHaveLength(2);
  });

  it('runs pod work before warm-pool refill', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core = make(store, vpc, 1);
    await core.start();
    await setUpCluster(core, vpc, 1);
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
    await core.settle();
    await core.reconciler.stop();
    let release!: () => void;
    vpc.gate = new Promise<void>((r) => {
      release = r;
    });
    const [eniId] = Object.keys(core.host.node('node-0').enis);
    if (!eniId) throw new Error('no ENI');
    const bind = (why: string, forPod?: string) =>
      core.commands.node({ type: 'BindIps', node: 'node-0', eniId, count: 1, why, ...(forPod ? { forPod } : {}) });
    vpc.calls.length = 0;
    await bind('first, holds the queue');
    await bind('refill');
    await bind('pod', 'default/p');
    await new Promise((r) => setImmediate(r));
    const order: string[] = [];
    const intents = () => core.host.node('node-0').intents;
    const whyOf = new Map(Object.values(intents()).map((i) => [i.intentId, i.forPod ? 'pod' : 'refill']));
    core.host.onEvents((events) => {
      for (const e of events) if (e.type === 'IpsBound') order.push(whyOf.get(e.data.intentId) ?? '?');
    });
    release();
    vpc.gate = undefined;
    await core.executor.idle();
    expect(order.slice(1)).toEqual(['pod', 'refill']);
  });

  it('given the cloud gives a new ENI a primary the log has bound elsewhere, that address is recorded lost first: never on two ENIs', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core = make(store, vpc);
    await core.start();
    await setUpCluster(core, vpc, 2);
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2 && boundIps(core, 'node-1') === 2, 5_000);
    await core.settle();
    const [eni] = Object.values(core.host.node('node-0').enis);
    const ip = Object.keys(eni?.ips ?? {})[0];
    if (!eni || !ip) throw new Error('no bound address');
    await core.commands.node({
      type: 'AllocateIp',
      node: 'node-0',
      pod: { namespace: 'd', name: 'web' },
      containerId: 'k1',
    });
    expect(core.host.node('node-0').allocations.k1?.ip).toBe(ip);
    // an unassign that escaped the fence: the cloud dropped it, and hands it out as a primary next
    const cloudEni = vpc.enis.get(eni.eniId);
    if (!cloudEni) throw new Error('no cloud ENI');
    vpc.enis.set(eni.eniId, { ...cloudEni, secondaryIps: cloudEni.secondaryIps.filter((x) => x !== ip) });
    vpc.ignorePrimaryIp = true; // the cloud chooses the primary itself
    vpc.nextIp = Number(ip.split('.')[3]);
    await core.commands.node({ type: 'RequestEniCreate', node: 'node-1', subnetId: POD_SUBNET, why: 'test' });
    await core.host.waitUntil(() => core.host.subnet(POD_SUBNET).addresses[ip]?.node === 'node-1', 5_000);
    expect(core.host.subnet(POD_SUBNET).addresses[ip]?.status).toBe('primary');
    expect(core.host.node('node-0').allocations.k1).toBeUndefined();
    expect(core.host.node('node-0').enis[eni.eniId]?.ips[ip]).toBeUndefined();
    const types = (await store.readStream('node/node-0')).map((e) => e.type);
    const lostAt = types.indexOf('IpsLost');
    expect(types.slice(lostAt - 1, lostAt + 1)).toEqual(['IpReleased', 'IpsLost']); // the pool refills after
    const primaries = Object.values(core.host.projection.nodes).flatMap((n) =>
      Object.values(n.enis).map((e) => e.primaryIp),
    );
    const secondaries = Object.values(core.host.projection.nodes).flatMap((n) =>
      Object.values(n.enis).flatMap((e) => Object.keys(e.ips)),
    );
    expect([...primaries, ...secondaries].filter((x) => x === ip)).toHaveLength(1);
  });

  it('asks the cloud for a primary the log does not hold: never a kept claim', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core = make(store, vpc);
    await core.start();
    await setUpCluster(core, vpc, 1);
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
    await core.settle();
    const [first] = Object.values(core.host.node('node-0').enis);
    expect(first?.primaryIp).toBe('10.1.0.254'); // the highest usable address of 10.1.0.0/24
    // a kept claim on the next one down: the next ENI's primary skips it
    await core.commands.subnet({
      type: 'CreateClaim',
      subnetId: POD_SUBNET,
      pod: { namespace: 'd', name: 'db-0' },
      ip: '10.1.0.253',
      policy: 'Never',
      node: 'node-0',
    });
    await core.commands.node({ type: 'RequestEniCreate', node: 'node-0', subnetId: POD_SUBNET, why: 'test' });
    await core.host.waitUntil(() => Object.keys(core.host.node('node-0').enis).length === 2, 5_000);
    const primaries = Object.values(core.host.node('node-0').enis).map((e) => e.primaryIp);
    expect(primaries.sort()).toEqual(['10.1.0.252', '10.1.0.254']);
    expect([...vpc.enis.values()].map((e) => e.primaryIp).sort()).toEqual(['10.1.0.252', '10.1.0.254']);
  });

  it('given creates of several nodes in flight at once, each asks for its own primary: no ResourceInUse, one call each', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core = make(store, vpc, 4);
    await core.start();
    let release!: () => void;
    vpc.gate = new Promise<void>((r) => {
      release = r;
    });
    await setUpCluster(core, vpc, 4);
    // the four creates are all in flight before any is recorded
    for (let i = 0; i < 500 && vpc.calls.filter((c) => c === 'createEni').length < 4; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(vpc.calls.filter((c) => c === 'createEni')).toHaveLength(4);
    release();
    vpc.gate = undefined;
    for (let n = 0; n < 4; n++) await core.host.waitUntil(() => boundIps(core, `node-${n}`) === 2, 5_000);
    await core.settle();
    const failed: string[] = [];
    for (let n = 0; n < 4; n++) {
      const events = await store.readStream(`node/node-${n}`);
      failed.push(...events.filter((e) => e.type === 'EniOperationFailed').map((e) => JSON.stringify(e.data)));
    }
    expect(failed).toEqual([]);
    expect(vpc.calls.filter((c) => c === 'createEni')).toHaveLength(4);
    const primaries = [...vpc.enis.values()].map((e) => e.primaryIp).sort();
    expect(primaries).toEqual(['10.1.0.251', '10.1.0.252', '10.1.0.253', '10.1.0.254']);
  });

  it('given an intent parked after a retryable failure, leadership lost and regained: it is tried again at once', async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    vpc.failNext('attachEni', 'CloudRetryable');
    const core = make(store, vpc, 4, 600_000); // the retry timer alone would come far too late
    await core.start();
    await setUpCluster(core, vpc, 1);
    for (let i = 0; i < 500 && !vpc.calls.includes('attachEni'); i++) await new Promise((r) => setTimeout(r, 10));
    await core.settle();
    expect(Object.values(core.host.node('node-0').intents).map((i) => i.op)).toEqual(['attach']);
    await core.executor.stop(); // leadership lost
    core.executor.start(); // and regained
    await core.host.waitUntil(() => boundIps(core, 'node-0') === 2, 5_000);
  });
});
