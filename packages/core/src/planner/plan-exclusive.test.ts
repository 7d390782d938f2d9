import { describe, expect, it } from 'vitest';
import { planPool } from './plan-pool.js';
import { eni, INTERVAL, node, primaryEni, subnet, T0 } from './testing/builders.js';
import { counts, summarize } from './testing/summary.js';
import type { PlannerEni, PlannerInput } from './types.js';

/** Exclusive warm node, 5 ENIs (4 for pods), bounds 1..2; `pool` secondary ENIs, the first `used` held by pods. */
const exclusive = (pool: number, used: number, over: Partial<PlannerInput> = {}): PlannerInput => {
  const enis: PlannerEni[] = [primaryEni()];
  for (let i = 1; i <= pool; i++) enis.push(eni(`eni-${i}`, i <= used ? { exclusivePod: `pod-${i}` } : {}));
  return node({
    mode: 'exclusive',
    limits: { maxEnis: 5, ipsPerEni: 10 },
    preBind: { min: 1, max: 2 },
    pods: used,
    enis,
    ...over,
  });
};

describe('exclusive warm pool: bounds table (4 ENIs for pods, pre-bind 1..2)', () => {
  it.each([
    { pods: 0, enis: 0, expect: counts({ create: 1 }) },
    { pods: 2, enis: 2, expect: counts({ create: 1 }) },
    { pods: 2, enis: 3, expect: counts({}) },
    { pods: 2, enis: 4, expect: counts({}) },
    { pods: 1, enis: 4, expect: counts({ detach: 1 }) },
    { pods: 4, enis: 4, expect: counts({}) },
  ])('$pods pods on $enis pool ENIs -> $expect', ({ pods, enis, expect: want }) => {
    expect(summarize(planPool(exclusive(enis, pods)))).toEqual(want);
  });
});

describe('exclusive warm pool: DESIGN 1.1 rules', () => {
  it('below pods + min: detached pool ENIs are attached first, then ONE ENI is created', () => {
    const input = exclusive(1, 1, {
      pods: 3,
      enis: [...exclusive(1, 1).enis, eni('eni-7', { state: 'detached' })],
      subnets: [subnet('subnet-a', 5), subnet('subnet-b', 40)],
    });
    const plan = planPool(input);
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'attachEni', eniId: 'eni-7' }),
      expect.objectContaining({ kind: 'createEni', subnetId: 'subnet-b' }),
    ]);
  });

  it('attaches only as many detached ENIs as the pool needs and deletes the rest', () => {
    const enis = [...exclusive(1, 1).enis, eni('eni-7', { state: 'detached' }), eni('eni-8', { state: 'detached' })];
    const plan = planPool(exclusive(1, 1, { pods: 1, enis }));
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'attachEni', eniId: 'eni-7' }),
      expect.objectContaining({ kind: 'deleteEni', eniId: 'eni-8' }),
    ]);
  });

  it('never a second ENI while one is being created', () => {
    const plan = planPool(exclusive(0, 0, { pods: 3, enis: [primaryEni(), eni('pending', { state: 'creating' })] }));
    expect(plan.actions).toEqual([]);
  });

  it('the pool is capped at max ENIs - 1 (max exclusive pods)', () => {
    const plan = planPool(exclusive(4, 4, { pods: 6 }));
    expect(plan.actions).toEqual([]);
    expect(plan.figures).toEqual({ bound: 4, inUse: 4, low: 4, high: 4, maxBindable: 4 });
  });

  it('above pods + max: one idle ENI per release interval', () => {
    const due = planPool(exclusive(4, 0, { pods: 0, lastReleaseAt: T0 - INTERVAL }));
    expect(due.actions).toEqual([expect.objectContaining({ kind: 'detachEni', eniId: 'eni-1' })]);
    expect(due.slowReleaseAt).toBe(T0);
    const notDue = planPool(exclusive(4, 0, { pods: 0, lastReleaseAt: T0 - 1 }));
    expect(notDue.actions).toEqual([]);
    expect(notDue.nextReleaseAt).toBe(T0 - 1 + INTERVAL);
  });

  it('above max bindable: the excess idle ENIs are detached at once', () => {
    const plan = planPool(exclusive(4, 1, { limits: { maxEnis: 3, ipsPerEni: 10 }, lastReleaseAt: T0 }));
    expect(summarize(plan)).toEqual(counts({ detach: 2 }));
    expect(plan.actions.map((a) => ('eniId' in a ? a.eniId : ''))).toEqual(['eni-2', 'eni-3']);
  });

  it("a pod's returned ENI stays in the pool, and a released ENI is deleted once detached", () => {
    const returned = planPool(exclusive(3, 1, { pods: 1 }));
    expect(returned.actions).toEqual([]);
    const released = planPool(
      exclusive(3, 1, { pods: 1, enis: [...exclusive(3, 1).enis, eni('eni-9', { state: 'detached' })] }),
    );
    expect(released.actions).toEqual([expect.objectContaining({ kind: 'deleteEni', eniId: 'eni-9' })]);
  });

  it("a pod's ENI found detached is attached back; claimed ENIs are left alone", () => {
    const plan = planPool(
      exclusive(3, 1, {
        enis: [
          ...exclusive(2, 1).enis,
          eni('eni-5', { state: 'detached', exclusivePod: 'pod-5' }),
          eni('eni-6', { state: 'detached', claimedBy: 'web-0' }),
        ],
        pods: 2,
      }),
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'attachEni', eniId: 'eni-5' })]);
  });

  it('max ENIs reached (claimed ENIs included): no creation', () => {
    const plan = planPool(
      exclusive(3, 3, { pods: 3, enis: [...exclusive(3, 3).enis, eni('eni-c', { claimedBy: 'web-0' })] }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.explain.join('\n')).toContain('max 5 ENIs');
  });

  it('no subnet in the zone -> refusal; full subnets -> SubnetExhausted', () => {
    expect(planPool(exclusive(0, 0, { subnets: [] })).refusal?.code).toBe('NoSubnetInZone');
    expect(planPool(exclusive(0, 0, { subnets: [subnet('subnet-a', 0)] })).refusal?.code).toBe('SubnetExhausted');
  });

  it('draining: idle ENIs detached, detached idle ones deleted, pods keep theirs', () => {
    const plan = planPool(
      exclusive(3, 1, { draining: true, enis: [...exclusive(3, 1).enis, eni('eni-9', { state: 'detached' })] }),
    );
    expect(summarize(plan)).toEqual(counts({ detach: 2, delete: 1 }));
  });
});

describe('exclusive on-demand (static)', () => {
  it('plans no pool: ENIs are created per pod', () => {
    const plan = planPool(exclusive(0, 0, { poolPolicy: 'on-demand', pods: 3 }));
    expect(plan.actions).toEqual([]);
    expect(plan.figures).toMatchObject({ low: 3, high: 3 });
  });
});
