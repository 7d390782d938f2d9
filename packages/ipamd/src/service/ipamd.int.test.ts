import { randomBytes } from 'node:crypto';
import { adapterFor, startTestSimulator } from '@eni-ipam/cloud/testing';
import { checkInvariants, decodeEvent, isIpamError, ManualClock, type Projection } from '@eni-ipam/core';
import { createEtcdClient, EtcdEventStore, LeaderElection } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_ID, ctx, setUpCluster, testConfig } from '../testing/service-fixture.js';
import { createIpamdCore, type IpamdCore } from './ipamd-core.js';
import type { Allocation } from './wire-types.js';

/**
 * ipamd's application core on real etcd (one member) and the VPC simulator through the real
 * SDK adapter: pools filled, 20 pods allocated across two nodes, 10 released, slow release to
 * rest; invariants hold, the VPC holds exactly what the log says; a replica killed without
 * resigning is replaced by a new one from the same etcd that keeps every acknowledged allocation.
 */
describe('ipamd core on etcd and the simulated VPC', () => {
  let etcd: EtcdCluster;
  let sim: Awaited<ReturnType<typeof startTestSimulator>>;
  const prefix = `/eni-ipam/it-${randomBytes(4).toString('hex')}`;
  const closers: (() => Promise<unknown> | unknown)[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    await sim?.stop();
    await etcd?.cleanup();
  });

  const replica = async (name: string, clock: ManualClock) => {
    const client = createEtcdClient({ endpoints: etcd.endpoints });
    const store = new EtcdEventStore({ client, prefix, decode: decodeEvent });
    const election = new LeaderElection({ client, prefix, candidate: name, ttlSeconds: 2 });
    const fence = await election.campaign();
    const vpc = adapterFor(sim);
    const core = createIpamdCore({
      store,
      vpc,
      clock,
      clusterId: CLUSTER_ID,
      writer: { replica: name, term: 0 },
      fence: () => fence,
      executor: { retryAfterMs: 100, vpcForPods: vpc.withPriority('pod') },
      projection: { snapshotEvery: 40 },
    });
    await core.start();
    const close = async () => {
      await core.stop().catch(() => undefined);
      await store.close();
      client.close();
    };
    closers.push(close);
    return { core, vpc, client, store, close };
  };

  const violations = (p: Projection, withBounds: boolean) =>
    checkInvariants({
      nodes: Object.values(p.nodes),
      subnets: Object.values(p.subnets),
      ...(withBounds && p.cluster.config ? { config: p.cluster.config } : {}),
    });

  /** ENIs and secondary IPs per instance: the VPC's (by the cluster tag) and the log's. */
  const cloudView = () =>
    sim
      .dump({ key: 'eni-ipam/cluster', value: CLUSTER_ID })
      .enis.map((e) => ({ eniId: e.eniId, instanceId: e.instanceId, ips: [...e.secondaryIps].sort() }))
      .sort((a, b) => (a.eniId < b.eniId ? -1 : 1));
  const logView = (p: Projection) =>
    Object.values(p.nodes)
      .flatMap((n) =>
        Object.values(n.enis).map((e) => ({
          eniId: e.eniId,
          instanceId: e.state === 'attached' ? n.instanceId : undefined,
          ips: Object.keys(e.ips).sort(),
        })),
      )
      .sort((a, b) => (a.eniId < b.eniId ? -1 : 1));

  const boundOn = (core: IpamdCore, node: string) =>
    Object.values(core.host.node(node).enis)
      .flatMap((e) => Object.values(e.ips))
      .filter((i) => i.status === 'bound').length;

  const allocate = async (core: IpamdCore, node: string, i: number): Promise<Allocation> => {
    const req = {
      pod: { namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` },
      containerId: `ctr-${i}`,
      mode: 'shared' as const,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await core.service.allocate(node, req, ctx(node));
      } catch (e) {
        // the CNI's answer to PoolExhausted is "try again" (code 11); the reconciler was woken
        if (!isIpamError(e, 'PoolExhausted') || attempt > 50) throw e;
        await core.settle();
      }
    }
  };

  it('fills, allocates, releases, rests, matches the VPC, and survives a replica killed without resigning', async () => {
    const clock = new ManualClock(Date.now());
    const first = await replica('ipamd-a', clock);
    const { core } = first;
    await setUpCluster(core, first.vpc, 2, testConfig({ preBind: { min: 3, max: 5 }, releaseIntervalMs: 60_000 }));
    await core.settle();
    expect([boundOn(core, 'node-0'), boundOn(core, 'node-1')]).toEqual([3, 3]);

    const acked = new Map<string, { node: string; a: Allocation }>();
    for (let i = 0; i < 20; i++) {
      const node = `node-${i % 2}`;
      acked.set(`ctr-${i}`, { node, a: await allocate(core, node, i) });
    }
    const ips = [...acked.values()].map((x) => x.a.ip);
    expect(new Set(ips).size).toBe(20);
    await core.settle();
    expect([boundOn(core, 'node-0'), boundOn(core, 'node-1')]).toEqual([13, 13]); // 10 pods + min 3 each

    for (const i of [0, 1, 4, 5, 8, 9, 12, 13, 16, 17]) {
      const { node } = acked.get(`ctr-${i}`) as { node: string };
      await core.service.release(node, `ctr-${i}`, ctx(node));
      acked.delete(`ctr-${i}`);
    }
    // slow release down to pods + max, one IP per interval per node
    for (let k = 0; k < 12; k++) {
      await core.settle();
      clock.advance(60_000);
      await core.reconciler.tick();
    }
    await core.settle();
    expect([boundOn(core, 'node-0'), boundOn(core, 'node-1')]).toEqual([10, 10]); // 5 pods + max 5 each
    expect(violations(core.host.projection, true)).toEqual([]);
    expect(cloudView()).toEqual(logView(core.host.projection));

    const snapshot = await first.store.loadSnapshot<unknown>('ipamd-projection');
    expect(snapshot?.revision).toBeGreaterThan(0); // the next replica starts from it
    // kill -9: the replica vanishes without resigning; its lease expires, a new one takes over
    first.client.close();
    await first.close();
    const second = await replica('ipamd-b', clock);
    const next = second.core;
    expect(next.host.ready).toBe(true);
    for (const [containerId, { node, a }] of acked) {
      const state = await next.service.nodeState(node);
      expect(state.allocations.find((x) => x.containerId === containerId)).toMatchObject(a);
      // a repeated ADD after the failover returns the same allocation, appending nothing
      const i = Number(containerId.slice(4));
      expect(await allocate(next, node, i)).toEqual(a);
    }
    await next.settle();
    expect(violations(next.host.projection, true)).toEqual([]);
    expect(cloudView()).toEqual(logView(next.host.projection));
    expect(logView(next.host.projection)).toEqual(logView(core.host.projection));
  });
});
