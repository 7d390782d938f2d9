import { describe, expect, it } from 'vitest';
import { isIpamError } from '../errors.js';
import { planPool } from './plan-pool.js';
import { eni, INTERVAL, ips, node, primaryEni, sharedNode, subnet, T0 } from './testing/builders.js';
import { counts, summarize } from './testing/summary.js';

describe('shared warm pool: bounds table (4 ENIs x 10 IPs = 27 bindable, 9 per ENI)', () => {
  it.each([
    { pods: 3, bound: 5, min: 5, max: 5, expect: counts({ bind: 3 }) },
    { pods: 3, bound: 8, min: 5, max: 5, expect: counts({}) },
    { pods: 3, bound: 12, min: 5, max: 5, expect: counts({ release: 1 }) },
    { pods: 3, bound: 6, min: 2, max: 10, expect: counts({}) },
    { pods: 0, bound: 0, min: 5, max: 5, expect: counts({ create: 1 }) },
    { pods: 5, bound: 9, min: 5, max: 5, expect: counts({ create: 1 }) },
    { pods: 5, bound: 10, min: 5, max: 5, expect: counts({ bind: 0, create: 0, release: 0 }) },
    { pods: 12, bound: 12, min: 5, max: 8, expect: counts({ bind: 5 }) },
    { pods: 30, bound: 27, min: 5, max: 5, expect: counts({}) },
    { pods: 25, bound: 20, min: 5, max: 5, expect: counts({ bind: 7 }) },
    { pods: 2, bound: 18, min: 1, max: 3, expect: counts({ release: 1 }) },
  ])('$pods pods, $bound bound, pre-bind $min..$max -> $expect', ({ pods, bound, min, max, expect: want }) => {
    const plan = planPool(sharedNode(bound, Math.min(pods, bound), { pods, preBind: { min, max } }));
    expect(summarize(plan)).toEqual(want);
    expect(plan.refusal).toBeUndefined();
  });
});

describe('shared warm pool: DESIGN 1.1 rules', () => {
  it('below pods + min binds up to pods + min at once, on the ENI with the most allocated IPs first', () => {
    const input = node({
      pods: 6,
      preBind: { min: 9, max: 9 },
      enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 3, 1) }), eni('eni-b', { ips: ips('10.0.2', 4, 3) })],
    });
    const plan = planPool(input);
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'bindIps', eniId: 'eni-b', subnetId: 'subnet-a', count: 5 }),
      expect.objectContaining({ kind: 'bindIps', eniId: 'eni-a', count: 3 }),
    ]);
    expect(plan.figures).toEqual({ bound: 7, inUse: 4, low: 15, high: 15, maxBindable: 27 });
  });

  it("binds never exceed the IPs per ENI nor the subnet's free IPs", () => {
    const plan = planPool(
      node({
        pods: 20,
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 7) }), eni('eni-b', { subnetId: 'subnet-b' })],
        subnets: [subnet('subnet-a', 100), subnet('subnet-b', 3)],
      }),
    );
    expect(plan.actions.filter((a) => a.kind === 'bindIps')).toEqual([
      expect.objectContaining({ eniId: 'eni-a', count: 2 }),
      expect.objectContaining({ eniId: 'eni-b', count: 3 }),
    ]);
    expect(plan.actions.filter((a) => a.kind === 'createEni')).toHaveLength(1);
  });

  it('a new ENI only when the ENIs are full, in the subnet of the zone with the most free IPs', () => {
    const full = node({
      pods: 9,
      enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 9, 9) })],
      subnets: [subnet('subnet-a', 10), subnet('subnet-b', 50), subnet('subnet-far', 500, 'ap-shanghai-2')],
    });
    expect(planPool(full).actions).toEqual([
      { kind: 'createEni', subnetId: 'subnet-b', why: expect.stringContaining('most free IPs') },
    ]);
  });

  it('a new ENI when the ENIs have room but their subnet has no free IP', () => {
    const plan = planPool(
      node({
        pods: 2,
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 2, 2) })],
        subnets: [subnet('subnet-a', 0), subnet('subnet-b', 20)],
      }),
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'createEni', subnetId: 'subnet-b' })]);
  });

  it('never plans a second ENI while one is being created', () => {
    const plan = planPool(
      node({
        pods: 20,
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 9, 9) }), eni('pending-1', { state: 'creating' })],
      }),
    );
    expect(summarize(plan)).toEqual(counts({}));
    expect(plan.explain.join('\n')).toContain('one creation at a time');
  });

  it('counts ENIs on their way once: an attaching ENI covers the need, a detached empty one is attached', () => {
    const attaching = planPool(
      node({
        pods: 9,
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 9, 9) }), eni('eni-b', { state: 'attaching' })],
      }),
    );
    expect(attaching.actions).toEqual([]);
    const detached = planPool(
      node({
        pods: 9,
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 9, 9) }), eni('eni-b', { state: 'detached' })],
      }),
    );
    expect(detached.actions).toEqual([expect.objectContaining({ kind: 'attachEni', eniId: 'eni-b' })]);
  });

  it('a binding IP counts as bound', () => {
    const plan = planPool(
      node({ pods: 0, enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 5, 0, 'binding') })] }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.figures.bound).toBe(5);
  });

  it('above pods + max releases ONE idle IP per release interval', () => {
    const due = planPool(sharedNode(12, 3, { pods: 3, lastReleaseAt: T0 - INTERVAL }));
    expect(summarize(due)).toEqual(counts({ release: 1 }));
    expect(due.slowReleaseAt).toBe(T0);
    const notDue = planPool(sharedNode(12, 3, { pods: 3, lastReleaseAt: T0 - INTERVAL + 1 }));
    expect(notDue.actions).toEqual([]);
    expect(notDue.nextReleaseAt).toBe(T0 + 1);
    expect(notDue.slowReleaseAt).toBeUndefined();
  });

  it('releases idle IPs of the ENI with the fewest allocated IPs first', () => {
    const plan = planPool(
      node({
        pods: 4,
        preBind: { min: 1, max: 1 },
        enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 5, 3) }), eni('eni-b', { ips: ips('10.0.2', 3, 1) })],
      }),
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'unbindIps', eniId: 'eni-b', ips: ['10.0.2.2'] })]);
  });

  it('above max bindable releases the excess idle IPs at once, never allocated ones', () => {
    // limits shrank to 2 ENIs: 9 bindable, 14 bound, 6 of them in use
    const plan = planPool(sharedNode(14, 6, { pods: 6, limits: { maxEnis: 2, ipsPerEni: 10 }, lastReleaseAt: T0 }));
    expect(summarize(plan)).toEqual(counts({ release: 5 }));
    expect(plan.slowReleaseAt).toBeUndefined();
    const allBusy = planPool(sharedNode(14, 14, { pods: 14, limits: { maxEnis: 2, ipsPerEni: 10 } }));
    expect(allBusy.actions).toEqual([]);
  });

  it('an ENI with no secondary IP is detached, then deleted, once no more IPs are needed', () => {
    const idle = sharedNode(5, 0, { enis: [...sharedNode(5, 0).enis, eni('eni-9')] });
    expect(planPool(idle).actions).toEqual([expect.objectContaining({ kind: 'detachEni', eniId: 'eni-9' })]);
    const detached = sharedNode(5, 0, { enis: [...sharedNode(5, 0).enis, eni('eni-9', { state: 'detached' })] });
    expect(planPool(detached).actions).toEqual([expect.objectContaining({ kind: 'deleteEni', eniId: 'eni-9' })]);
    const needed = node({ pods: 3, enis: [primaryEni(), eni('eni-9')] });
    expect(planPool(needed).actions).toEqual([expect.objectContaining({ kind: 'bindIps', eniId: 'eni-9', count: 8 })]);
  });

  it('a detached ENI that still holds bound IPs is attached back', () => {
    const plan = planPool(node({ enis: [primaryEni(), eni('eni-a', { state: 'detached', ips: ips('10.0.1', 5) })] }));
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'attachEni', eniId: 'eni-a' })]);
  });

  it('the primary ENI never gets pod IPs and is never detached', () => {
    const plan = planPool(node({ pods: 1, enis: [primaryEni()] }));
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'createEni' })]);
    expect(planPool(node({ pods: 0, preBind: { min: 0, max: 0 } })).actions).toEqual([]);
  });

  it('stops at max ENIs: no new ENI beyond the limit', () => {
    const plan = planPool(sharedNode(27, 27, { pods: 30 }));
    expect(plan.actions).toEqual([]);
    const noRoom = planPool(sharedNode(9, 9, { pods: 9, limits: { maxEnis: 2, ipsPerEni: 10 } }));
    expect(noRoom.actions).toEqual([]);
  });

  it('node with no subnet in its zone -> refusal, nothing bound', () => {
    const plan = planPool(node({ pods: 1, subnets: [subnet('subnet-far', 100, 'ap-shanghai-2')] }));
    expect(plan.actions).toEqual([]);
    expect(plan.refusal).toEqual({
      code: 'NoSubnetInZone',
      reason: expect.stringContaining('node has no subnet in its zone'),
    });
  });

  it('every subnet of the zone full -> refusal SubnetExhausted', () => {
    const plan = planPool(node({ pods: 1, subnets: [subnet('subnet-a', 0)] }));
    expect(plan.refusal?.code).toBe('SubnetExhausted');
  });

  it('draining node: no binds, every idle IP released, empty ENIs detached and deleted', () => {
    const plan = planPool(
      node({
        pods: 10,
        draining: true,
        enis: [
          primaryEni(),
          eni('eni-a', { ips: ips('10.0.1', 6, 2) }),
          eni('eni-b'),
          eni('eni-c', { state: 'detached' }),
        ],
      }),
    );
    expect(summarize(plan)).toEqual(counts({ release: 4, detach: 1, delete: 1 }));
  });
});

describe('shared on-demand pool (static mode)', () => {
  const onDemand = { poolPolicy: 'on-demand' as const, pods: 4 };
  it("plans the node's single ENI in a subnet that can fully hold its IP quota, nothing pre-bound", () => {
    const plan = planPool(
      node({ ...onDemand, subnets: [subnet('subnet-a', 9), subnet('subnet-b', 10), subnet('subnet-c', 30)] }),
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'createEni', subnetId: 'subnet-c' })]);
  });
  it("refuses when no subnet can hold the ENI's quota", () => {
    const plan = planPool(node({ ...onDemand, subnets: [subnet('subnet-a', 9)] }));
    expect(plan.actions).toEqual([]);
    expect(plan.refusal).toEqual({
      code: 'SubnetExhausted',
      reason: expect.stringContaining('no subnet can hold the ENI quota'),
    });
  });
  it('plans nothing extra once the node has its ENI: binds happen per pod', () => {
    const plan = planPool(node({ ...onDemand, enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 2, 2) })] }));
    expect(plan.actions).toEqual([]);
    expect(plan.figures).toMatchObject({ bound: 2, inUse: 2, low: 4, high: 4 });
  });
  it("attaches the node's ENI when it is detached; nothing when there is no ENI slot", () => {
    const plan = planPool(node({ ...onDemand, enis: [primaryEni(), eni('eni-a', { state: 'detached' })] }));
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'attachEni', eniId: 'eni-a' })]);
    expect(planPool(node({ ...onDemand, limits: { maxEnis: 1, ipsPerEni: 10 } })).actions).toEqual([]);
  });
});

describe('bad input gets a typed error', () => {
  it('rejects malformed views with InvalidInput and min > max with InvalidPreBindBounds', () => {
    const cases = [
      node({ pods: -1 }),
      node({ limits: { maxEnis: 1.5, ipsPerEni: 10 } }),
      node({ enis: [primaryEni(), primaryEni()] }),
      node({ enis: [primaryEni(), eni('eni-a', { ips: ips('10.0.1', 1) }), eni('eni-b', { ips: ips('10.0.1', 1) })] }),
      node({ zone: '' }),
    ];
    for (const input of cases) expect(() => planPool(input)).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
    try {
      planPool(node({ preBind: { min: 6, max: 5 } }));
      expect.unreachable();
    } catch (e) {
      expect(isIpamError(e, 'InvalidPreBindBounds')).toBe(true);
    }
  });
});
