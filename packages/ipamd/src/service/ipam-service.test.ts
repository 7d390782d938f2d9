import { adapterFor, startTestSimulator } from '@eni-ipam/cloud/testing';
import { type ClaimPolicy, checkInvariants, type PodRef } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ctx, POD_SUBNET, setUpCluster, startCore, testConfig } from '../testing/service-fixture.js';
import type { IpamdCore, IpamdCoreOptions } from './ipamd-core.js';

const pod = (i: number) => ({ namespace: 'default', name: `web-${i}`, uid: `uid-${i}` });

describe('IpamService over the in-memory store and the simulated VPC', () => {
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

  const boot = async (
    claimPolicyOf?: (node: string, p: PodRef) => ClaimPolicy | undefined,
    extra: Partial<IpamdCoreOptions> = {},
  ) => {
    const store = new InMemoryEventStore();
    const fence = store.grantLeadership('leader');
    const vpc = adapterFor(sim);
    const c = await startCore({
      store,
      vpc,
      fence,
      extra: { ...extra, service: { ...extra.service, ...(claimPolicyOf ? { claimPolicyOf } : {}) } },
    });
    core = c;
    await setUpCluster(c, vpc, 1);
    await c.settle();
    return { store, vpc, c };
  };

  it('fills the pool to pods + min, allocates idempotently, releases, and feeds the node', async () => {
    const { c } = await boot();
    const before = c.host.node('node-0');
    const bound = Object.values(before.enis)
      .flatMap((e) => Object.values(e.ips))
      .filter((i) => i.status === 'bound');
    expect(bound).toHaveLength(2); // min 2, no pods

    const a = await c.service.allocate('node-0', { pod: pod(1), containerId: 'c1', mode: 'shared' }, ctx('node-0'));
    const again = await c.service.allocate('node-0', { pod: pod(1), containerId: 'c1', mode: 'shared' }, ctx('node-0'));
    expect(again).toEqual(a);
    expect(a.subnetCidr).toBe('10.1.0.0/24');
    expect(a.gateway).toBe('10.1.0.1');
    expect(a.eniMac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

    const state = await c.service.nodeState('node-0');
    expect(state.allocations.map((x) => x.ip)).toEqual([a.ip]);
    expect(state.enis.map((e) => e.id)).toEqual([a.eniId]);

    await c.settle();
    const feed = [];
    const abort = new AbortController();
    for await (const line of await c.service.nodeFeed('node-0', 0, abort.signal)) {
      feed.push(line);
      if (line.type === 'IpAllocated') abort.abort();
    }
    expect(feed.map((l) => l.type)).toEqual(['EniAttached', 'IpAllocated']);

    // live: a feed opened at the current revision sees the next allocation and the release
    const live = new AbortController();
    const lines = (await c.service.nodeFeed('node-0', c.host.appliedRevision, live.signal))[Symbol.asyncIterator]();
    const b = await c.service.allocate('node-0', { pod: pod(2), containerId: 'c2', mode: 'shared' }, ctx('node-0'));
    expect((await lines.next()).value).toMatchObject({
      type: 'IpAllocated',
      allocation: { containerId: 'c2', ip: b.ip },
    });
    await c.service.release('node-0', 'c2', ctx('node-0'));
    expect((await lines.next()).value).toMatchObject({ type: 'IpReleased', containerId: 'c2' });
    live.abort();
    expect((await lines.next()).done).toBe(true);

    await c.service.release('node-0', 'c1', ctx('node-0'));
    await c.service.release('node-0', 'c1', ctx('node-0')); // DEL is idempotent
    expect((await c.service.nodeState('node-0')).allocations).toEqual([]);
    await c.settle();
    const p = c.host.projection;
    expect(checkInvariants({ nodes: Object.values(p.nodes), subnets: Object.values(p.subnets) })).toEqual([]);
  });

  it('refuses with PoolExhausted when no IP is free, wakes the reconciler, and serves the pod once bound', async () => {
    const { c } = await boot();
    await c.executor.stop(); // binds stay in flight: their IPs are not allocatable yet
    await c.service.allocate('node-0', { pod: pod(1), containerId: 'c1', mode: 'shared' }, ctx('node-0'));
    await c.service.allocate('node-0', { pod: pod(2), containerId: 'c2', mode: 'shared' }, ctx('node-0'));
    await expect(
      c.service.allocate('node-0', { pod: pod(3), containerId: 'c3', mode: 'shared' }, ctx('node-0')),
    ).rejects.toMatchObject({ code: 'PoolExhausted' });
    expect(c.host.node('node-0').refusals.c3?.code).toBe('PoolExhausted');
    await c.settle();
    const binding = Object.values(c.host.node('node-0').intents).filter((i) => i.op === 'bind');
    expect(binding.length).toBeGreaterThan(0); // the reconciler asked for more IPs
    c.executor.start();
    await c.settle();
    const ok = await c.service.allocate('node-0', { pod: pod(3), containerId: 'c3', mode: 'shared' }, ctx('node-0'));
    expect(ok.ip).toMatch(/^10\.1\.0\./);
    expect(c.host.node('node-0').refusals.c3).toBeUndefined();
  });

  it('answers NodeNotFound for an unknown node and lists nodes, ENIs and readiness', async () => {
    const { c } = await boot();
    await expect(c.service.nodeState('nope')).rejects.toMatchObject({ code: 'NodeNotFound' });
    await expect(
      c.service.allocate('nope', { pod: pod(1), containerId: 'c1', mode: 'shared' }, ctx('nope')),
    ).rejects.toMatchObject({ code: 'NodeNotFound' });
    const list = await c.service.listNodes();
    expect(list.nodes).toMatchObject([{ name: 'node-0', bound: 2, allocated: 0, capacity: 27, draining: false }]);
    await c.service.ack('node-0', list.revision, ctx('node-0'));
    expect((await c.service.node('node-0')).ackedRevision).toBe(list.revision);
    const enis = await c.service.enis();
    expect(enis.enis).toMatchObject([{ node: 'node-0', subnetId: POD_SUBNET, status: 'attached', mode: 'shared' }]);
    expect(c.host.nodePoolView('node-0').counts).toMatchObject({ bound: 2, allocated: 0, free: 2 });
    expect(c.host.subnetPoolView(POD_SUBNET)).toMatchObject({ usable: 253, bound: 2, primary: 1, free: 250 });
    expect(await c.service.ready()).toEqual({ ok: true });
    expect(await c.service.health()).toEqual({ ok: true });
  });

  it('a pod asking for a kept claim gets the same IP after it is deleted and comes back', async () => {
    const { c } = await boot((_node, p) => (p.name.startsWith('db-') ? 'Never' : undefined));
    const db = { namespace: 'default', name: 'db-0' };
    const first = await c.service.allocate('node-0', { pod: db, containerId: 'c1', mode: 'shared' }, ctx('node-0'));
    expect((await c.service.claims()).claims).toMatchObject([{ pod: 'default/db-0', ip: first.ip, policy: 'Never' }]);
    await c.service.release('node-0', 'c1', ctx('node-0'));
    await c.settle();
    // the claimed address went back to the VPC; the claim is retained without a node
    const [kept] = (await c.service.claims()).claims;
    expect(kept).toMatchObject({ ip: first.ip });
    expect(kept?.node).toBeUndefined();
    // meanwhile another pod cannot take it
    const other = await c.service.allocate('node-0', { pod: pod(9), containerId: 'c9', mode: 'shared' }, ctx('node-0'));
    expect(other.ip).not.toBe(first.ip);
    const again = await c.service.allocate('node-0', { pod: db, containerId: 'c2', mode: 'shared' }, ctx('node-0'));
    expect(again.ip).toBe(first.ip);
    await c.settle();
    const p = c.host.projection;
    expect(checkInvariants({ nodes: Object.values(p.nodes), subnets: Object.values(p.subnets) })).toEqual([]);
  });

  it('a new leader waits until it knows the pod before deciding it: a static pod gets its claim', async () => {
    let known = false;
    const { c } = await boot((_node, p) => (known && p.name.startsWith('db-') ? 'Never' : undefined), {
      service: {
        // the first pod list of the term arrives 50 ms after the allocation asks
        podKnown: async () => {
          await new Promise((r) => setTimeout(r, 50));
          known = true;
        },
      },
    });
    const db = { namespace: 'default', name: 'db-0' };
    const a = await c.service.allocate('node-0', { pod: db, containerId: 'c1', mode: 'shared' }, ctx('node-0'));
    expect((await c.service.claims()).claims).toMatchObject([{ pod: 'default/db-0', ip: a.ip, policy: 'Never' }]);
  });

  it('exclusive mode: a pod gets a whole pool ENI (its primary IP) and returns it to the pool', async () => {
    const { c } = await boot(undefined, { reconciler: { modeOf: () => 'exclusive' } });
    const a = await c.service.allocate('node-0', { pod: pod(1), containerId: 'x1', mode: 'exclusive' }, ctx('node-0'));
    const eni = c.host.node('node-0').enis[a.eniId];
    expect(a.ip).toBe(eni?.primaryIp);
    const state = await c.service.nodeState('node-0');
    expect(state.enis.find((e) => e.id === a.eniId)?.mode).toBe('exclusive');
    expect(state.allocations).toMatchObject([{ containerId: 'x1', mode: 'exclusive', eniId: a.eniId }]);
    await c.service.release('node-0', 'x1', ctx('node-0'));
    expect((await c.service.nodeState('node-0')).allocations).toEqual([]);
    expect(c.host.node('node-0').enis[a.eniId]?.state).toBe('attached'); // back in the pool, not deleted
  });

  it('a burst of pods on one node is decided in batches: every pod gets its own IP, fewer appends than pods', async () => {
    const store = new InMemoryEventStore();
    const fence = store.grantLeadership('leader');
    const vpc = adapterFor(sim);
    const c = await startCore({ store, vpc, fence });
    core = c;
    await setUpCluster(c, vpc, 1, testConfig({ preBind: { min: 8, max: 8 } }));
    await c.settle();
    let appends = 0;
    const append = store.append.bind(store);
    store.append = (...args: Parameters<typeof append>) => {
      appends++;
      return append(...args);
    };
    const asks = Array.from({ length: 8 }, (_, i) => ({ pod: pod(i), containerId: `c${i}`, mode: 'shared' as const }));
    // the same container twice in one burst: idempotent inside a batch too
    const results = await Promise.all(
      [...asks, asks[0] as (typeof asks)[number]].map((a) => c.service.allocate('node-0', a, ctx('node-0'))),
    );
    expect(new Set(results.slice(0, 8).map((r) => r.ip)).size).toBe(8);
    expect(results[8]).toEqual(results[0]);
    expect(appends).toBeLessThan(8);
    await c.settle();
    const p = c.host.projection;
    expect(checkInvariants({ nodes: Object.values(p.nodes), subnets: Object.values(p.subnets) })).toEqual([]);
  });
});
