import { ManualClock, type PlanAction } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createIpamdCore, type IpamdCore, type IpamdCoreOptions } from '../service/ipamd-core.js';
import { FakeVpc } from '../testing/fake-vpc.js';
import { CLUSTER_ID, ctx, setUpCluster, testConfig } from '../testing/service-fixture.js';
import { actionToCommand } from './pool-reconciler.js';

const bound = (core: IpamdCore) =>
  Object.values(core.host.node('node-0').enis)
    .flatMap((e) => Object.values(e.ips))
    .filter((i) => i.status === 'bound').length;

describe('PoolReconciler', () => {
  const cores: IpamdCore[] = [];
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.stop();
  });

  const boot = async (
    clock: ManualClock,
    o: { nodes?: number; reconciler?: IpamdCoreOptions['reconciler'] } = {},
  ): Promise<IpamdCore> => {
    const store = new InMemoryEventStore();
    const fence = store.grantLeadership('l');
    const vpc = new FakeVpc();
    const core = createIpamdCore({
      store,
      vpc,
      clock,
      clusterId: CLUSTER_ID,
      writer: { replica: 'r', term: 0 },
      fence: () => fence,
      ...(o.reconciler ? { reconciler: o.reconciler } : {}),
    });
    cores.push(core);
    await core.start();
    const config = testConfig({ preBind: { min: 2, max: 4 }, releaseIntervalMs: 120_000 });
    await setUpCluster(core, vpc, o.nodes ?? 1, config);
    await core.settle();
    return core;
  };

  it('binds up to pods + min at once and releases above pods + max one IP per interval', async () => {
    const clock = new ManualClock();
    const core = await boot(clock);
    expect(bound(core)).toBe(2);
    for (let i = 0; i < 6; i++) {
      const pod = { namespace: 'default', name: `p-${i}` };
      await core.service.allocate('node-0', { pod, containerId: `c${i}`, mode: 'shared' }, ctx('node-0'));
      await core.settle();
    }
    expect(bound(core)).toBe(8); // 6 pods + min 2
    for (let i = 0; i < 6; i++) await core.service.release('node-0', `c${i}`, ctx('node-0'));
    await core.settle();
    expect(bound(core)).toBe(7); // above pods + max (0 + 4): one release now, the rest paced
    await core.reconciler.tick();
    await core.settle();
    expect(bound(core)).toBe(7); // not due yet
    for (const expected of [6, 5, 4, 4]) {
      clock.advance(120_000);
      await core.reconciler.tick();
      await core.settle();
      expect(bound(core)).toBe(expected);
    }
  });

  it('reports each plan, and plans nothing for an unknown or unconfigured node', async () => {
    const clock = new ManualClock();
    const core = await boot(clock);
    expect(await core.reconciler.reconcile('nope')).toBeUndefined();
    const plan = await core.reconciler.reconcile('node-0');
    expect(plan?.actions).toEqual([]); // at rest within bounds
    expect(plan?.figures).toMatchObject({ bound: 2, inUse: 0, low: 2, high: 4 });
  });

  it('a pass over many nodes lets the event loop serve requests between nodes (it does not run as one task)', async () => {
    let planned = 0;
    const core = await boot(new ManualClock(), {
      nodes: 30,
      reconciler: {
        onPlan: () => {
          planned++;
          const end = performance.now() + 0.5; // each node's plan costs 0.5 ms
          while (performance.now() < end) {
            // planning
          }
        },
      },
    });
    planned = 0;
    let plannedWhenServed: number | undefined;
    const pass = core.reconciler.tick();
    setImmediate(() => {
      plannedWhenServed = planned;
    });
    await pass;
    expect(planned).toBe(30);
    expect(plannedWhenServed).toBeLessThan(10); // a 2 ms budget: served after about 4 nodes, not 30
  });

  it.each<{ action: PlanAction; type: string }>([
    {
      action: { kind: 'bindIps', eniId: 'eni-aaaa1111', subnetId: 'subnet-pods0001', count: 2, why: 'w' },
      type: 'BindIps',
    },
    { action: { kind: 'unbindIps', eniId: 'eni-aaaa1111', ips: ['10.1.0.5'], why: 'w' }, type: 'RequestIpUnbind' },
    { action: { kind: 'createEni', subnetId: 'subnet-pods0001', why: 'w' }, type: 'RequestEniCreate' },
    { action: { kind: 'attachEni', eniId: 'eni-aaaa1111', why: 'w' }, type: 'RequestEniAttach' },
    { action: { kind: 'detachEni', eniId: 'eni-aaaa1111', why: 'w' }, type: 'RequestEniDetach' },
    { action: { kind: 'deleteEni', eniId: 'eni-aaaa1111', why: 'w' }, type: 'RequestEniDelete' },
  ])('plan action $action.kind becomes command $type', ({ action, type }) => {
    expect(actionToCommand('node-0', action)).toMatchObject({ type, node: 'node-0', why: 'w' });
  });
});
