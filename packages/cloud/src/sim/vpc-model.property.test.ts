/**
 * Whatever sequence of calls the simulated VPC receives, its invariants hold: no address on two
 * ENIs, counts add up, quotas are never exceeded, and a refused call changes nothing.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { testSeed } from '../testing/index.js';
import { ipToInt, isReserved, parseCidr } from './ipv4.js';
import { SimApiError } from './sim-error.js';
import { stateFromSeed } from './state.js';
import { defaultTaskDurations, type ModelContext, VpcModel } from './vpc-model.js';

const INSTANCES = ['ins-00000000', 'ins-00000001'] as const;
const SUBNETS = ['subnet-pods0001', 'subnet-tiny0001'];

const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      subnet: fc.constantFrom(...SUBNETS),
      count: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('attach' as const),
      eni: fc.nat(),
      ins: fc.constantFrom(INSTANCES[0], INSTANCES[0], INSTANCES[0], INSTANCES[1]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('detach' as const), eni: fc.nat(), ins: fc.constantFrom(...INSTANCES) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), eni: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('assign' as const),
      eni: fc.nat(),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  // A specific address: often one already in use somewhere (`taken`), else any in the pod subnet.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('assignIp' as const),
      eni: fc.nat(),
      taken: fc.option(fc.nat()),
      last: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('unassign' as const), eni: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
);

const checkInvariants = (m: VpcModel) => {
  const seen = new Map<string, string>();
  for (const e of Object.values(m.state.enis)) {
    const c = parseCidr(m.state.subnets[e.subnetId]?.cidr ?? '');
    if (!c) throw new Error('subnet');
    for (const ip of [e.primaryIp, ...e.secondaryIps]) {
      expect(seen.get(ip), `${ip} on two ENIs`).toBeUndefined();
      seen.set(ip, e.eniId);
      const n = ipToInt(ip) ?? -1;
      expect(n >= c.base && n < c.base + c.size && !isReserved(c, n)).toBe(true);
    }
    const quota = e.instanceId
      ? (m.state.instanceTypes[m.state.instances[e.instanceId]?.instanceType ?? '']?.ipsPerEni ?? 0)
      : m.state.unattachedIpsPerEni;
    expect(1 + e.secondaryIps.length).toBeLessThanOrEqual(quota);
  }
  for (const ins of INSTANCES) {
    const on = Object.values(m.state.enis).filter((e) => e.instanceId === ins).length;
    expect(on).toBeLessThanOrEqual(1); // maxEnis 2, the primary included
  }
  for (const s of SUBNETS) {
    const used = Object.values(m.state.enis)
      .filter((e) => e.subnetId === s)
      .reduce((n, e) => n + 1 + e.secondaryIps.length, 0);
    const c = parseCidr(m.state.subnets[s]?.cidr ?? '');
    expect(m.availableCount(s)).toBe((c?.size ?? 0) - 3 - used);
  }
};

it('invariants hold over any sequence of calls; refused calls change nothing', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 100 }), (ops) => {
      const m = new VpcModel(stateFromSeed(testSeed({ maxEnis: 2 }), 'then')); // one ENI per instance beside the primary
      let now = 0;
      let ids = 0;
      const ctx = (): ModelContext => ({
        now,
        requestId: `r${++ids}`,
        durations: { ...defaultTaskDurations, AttachNetworkInterface: 20, DetachNetworkInterface: 20 },
        taskFails: ids % 7 === 0,
        newEniId: () => `eni-${String(ids).padStart(8, '0')}`,
      });
      const pick = (i: number) => {
        const all = Object.keys(m.state.enis);
        return all.length ? (all[i % all.length] ?? 'eni-none0000') : 'eni-none0000';
      };
      for (const o of ops) {
        m.settle(now);
        const before = JSON.stringify(m.state.enis);
        try {
          switch (o.kind) {
            case 'create':
              m.createEni(ctx(), {
                VpcId: 'vpc-test0001',
                SubnetId: o.subnet,
                NetworkInterfaceName: 'p',
                SecondaryPrivateIpAddressCount: o.count,
              });
              break;
            case 'attach':
              m.attachEni(ctx(), { NetworkInterfaceId: pick(o.eni), InstanceId: o.ins });
              break;
            case 'detach':
              m.detachEni(ctx(), { NetworkInterfaceId: pick(o.eni), InstanceId: o.ins });
              break;
            case 'delete':
              m.deleteEni(ctx(), { NetworkInterfaceId: pick(o.eni) });
              break;
            case 'assign':
              m.assignIps(ctx(), { NetworkInterfaceId: pick(o.eni), SecondaryPrivateIpAddressCount: o.count });
              break;
            case 'assignIp': {
              const inUse = Object.values(m.state.enis).flatMap((e) => [e.primaryIp, ...e.secondaryIps]);
              const ip = o.taken !== null && inUse.length ? (inUse[o.taken % inUse.length] ?? '') : `10.1.0.${o.last}`;
              m.assignIps(ctx(), { NetworkInterfaceId: pick(o.eni), PrivateIpAddresses: [{ PrivateIpAddress: ip }] });
              break;
            }
            case 'unassign': {
              const eni = m.state.enis[pick(o.eni)];
              const ips = eni?.secondaryIps.slice(0, o.n) ?? ['10.1.0.9'];
              m.unassignIps(ctx(), {
                NetworkInterfaceId: pick(o.eni),
                PrivateIpAddresses: ips.map((ip) => ({ PrivateIpAddress: ip })),
              });
              break;
            }
            case 'wait':
              now += o.ms;
              break;
          }
        } catch (e) {
          if (!(e instanceof SimApiError)) throw e;
          expect(JSON.stringify(m.state.enis)).toBe(before);
        }
        checkInvariants(m);
      }
    }),
    { numRuns: 150 },
  );
});
