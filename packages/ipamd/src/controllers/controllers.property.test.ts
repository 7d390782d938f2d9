import { checkInvariants, isIpamError, ManualClock } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIpamdCore } from '../service/ipamd-core.js';
import { FakeVpc } from '../testing/fake-vpc.js';
import { CLUSTER_ID, ctx, setUpCluster, testConfig } from '../testing/service-fixture.js';

const step = fc.record({
  op: fc.constantFrom('allocate', 'release', 'settle', 'tick'),
  node: fc.integer({ min: 0, max: 1 }),
  pod: fc.integer({ min: 0, max: 11 }),
});

describe('controllers and service under random pod churn (fake VPC)', () => {
  it('keep the invariants, the VPC equal to the log, and every answered allocation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const store = new InMemoryEventStore();
        const fence = store.grantLeadership('l');
        const vpc = new FakeVpc();
        const clock = new ManualClock();
        const core = createIpamdCore({
          store,
          vpc,
          clock,
          clusterId: CLUSTER_ID,
          writer: { replica: 'r', term: 0 },
          fence: () => fence,
        });
        await core.start();
        try {
          await setUpCluster(core, vpc, 2, testConfig({ preBind: { min: 1, max: 3 }, releaseIntervalMs: 60_000 }));
          const held = new Map<string, { node: string; ip: string }>();
          for (const s of steps) {
            const node = `node-${s.node}`;
            const containerId = `c-${s.pod}`;
            if (s.op === 'allocate') {
              const on = held.get(containerId)?.node ?? node;
              const pod = { namespace: 'default', name: `p-${s.pod}` };
              try {
                const a = await core.service.allocate(on, { pod, containerId, mode: 'shared' }, ctx(on));
                const before = held.get(containerId);
                if (before) expect(a.ip).toBe(before.ip); // idempotent
                held.set(containerId, { node: on, ip: a.ip });
              } catch (e) {
                if (!isIpamError(e, 'PoolExhausted')) throw e;
              }
            } else if (s.op === 'release') {
              const h = held.get(containerId);
              await core.service.release(h?.node ?? node, containerId, ctx(node));
              held.delete(containerId);
            } else if (s.op === 'settle') {
              await core.settle();
            } else {
              clock.advance(60_000);
              await core.reconciler.tick();
            }
          }
          await core.settle();
          const p = core.host.projection;
          expect(checkInvariants({ nodes: Object.values(p.nodes), subnets: Object.values(p.subnets) })).toEqual([]);
          const logAllocs = Object.values(p.nodes).flatMap((n) =>
            Object.values(n.allocations).map((a) => [a.containerId, n.node, a.ip]),
          );
          expect(new Map(logAllocs.map(([c, n, ip]) => [c, { node: n, ip }]))).toEqual(held);
          const cloud = [...vpc.enis.values()].map((e) => [e.eniId, e.instanceId, [...e.secondaryIps].sort()]).sort();
          const log = Object.values(p.nodes)
            .flatMap((n) =>
              Object.values(n.enis).map((e) => [
                e.eniId,
                e.state === 'attached' ? n.instanceId : undefined,
                Object.keys(e.ips).sort(),
              ]),
            )
            .sort();
          expect(cloud).toEqual(log);
        } finally {
          await core.stop();
        }
      }),
      { numRuns: 25 },
    );
  });
});
