/**
 * A subnet's address map changed in place (the projection host's fold) keeps what is read from
 * it true: the lowest free addresses (searched from a remembered start) and the counts, against
 * plain scans of the same map after every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SubnetEvent } from '../events/subnet-events.js';
import { intToIp, ipToInt } from '../values/ipv4.js';
import { evolveSubnet, evolveSubnetOwned } from './evolve.js';
import { freeUnclaimed, heldBy, initialSubnetState, pickFreeAddresses, type SubnetState } from './state.js';

const CIDR = '10.0.0.0/27'; // 29 usable: 10.0.0.2 to 10.0.0.30
const BASE = ipToInt('10.0.0.0');
const usable = Array.from({ length: 29 }, (_, k) => intToIp(BASE + 2 + k));
const NODES = ['node-a', 'node-b'];

/** The reference: a walk from the bottom of the block, no memory. */
const lowestFree = (s: SubnetState, n: number): string[] => {
  const claimed = new Set(Object.values(s.claims).map((c) => c.ip));
  return usable.filter((ip) => !s.addresses[ip] && !claimed.has(ip)).slice(0, n);
};

type Step =
  | { k: 'reserve'; n: number; node: number }
  | { k: 'free'; pick: number }
  | { k: 'primary'; at: number }
  | { k: 'unprimary'; pick: number }
  | { k: 'claim'; at: number }
  | { k: 'unclaim'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant('reserve' as const), n: fc.integer({ min: 1, max: 5 }), node: fc.nat(1) }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('free' as const), pick: fc.nat() }) },
  fc.record({ k: fc.constant('primary' as const), at: fc.nat(28) }),
  fc.record({ k: fc.constant('unprimary' as const), pick: fc.nat() }),
  fc.record({ k: fc.constant('claim' as const), at: fc.nat(28) }),
  fc.record({ k: fc.constant('unclaim' as const), pick: fc.nat() }),
);

const taken = (s: SubnetState, status: (x: string) => boolean) =>
  Object.entries(s.addresses)
    .filter(([, a]) => status(a.status))
    .map(([ip, a]) => ({ ip, ...a }));

/** The event a step makes on the current state (addresses chosen the way binds choose them). */
const eventOf = (s: SubnetState, st: Step, i: number): SubnetEvent | undefined => {
  const ev = (type: string, data: unknown) => ({ type, data }) as SubnetEvent;
  switch (st.k) {
    case 'reserve': {
      const ips = pickFreeAddresses(s, st.n);
      const node = NODES[st.node] as string;
      return ips.length ? ev('AddressesReserved', { intentId: `i${i}`, node, eniId: `eni-${node}`, ips }) : undefined;
    }
    case 'free': {
      const held = taken(s, (x) => x !== 'primary');
      const a = held[st.pick % Math.max(1, held.length)];
      return a && ev('AddressesFreed', { intentId: `f${i}`, node: a.node, eniId: a.eniId, ips: [a.ip] });
    }
    case 'primary': {
      const ip = usable[st.at] as string;
      return s.addresses[ip] ? undefined : ev('PrimaryAddressTaken', { node: 'node-a', eniId: `eni-p${i}`, ip });
    }
    case 'unprimary': {
      const held = taken(s, (x) => x === 'primary');
      const a = held[st.pick % Math.max(1, held.length)];
      return a && ev('PrimaryAddressFreed', { node: a.node, eniId: a.eniId, ip: a.ip });
    }
    case 'claim': {
      const pod = { namespace: 'default', name: `web-${i}` };
      return ev('ClaimCreated', { pod, ip: usable[st.at], policy: 'Never', node: 'node-a' });
    }
    case 'unclaim': {
      const claims = Object.values(s.claims);
      const c = claims[st.pick % Math.max(1, claims.length)];
      return c && ev('ClaimDeleted', { pod: c.pod, why: 'test' });
    }
  }
};

describe('a subnet address map changed in place', () => {
  it('pickFreeAddresses and the counts agree with plain scans after every step', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (steps, n) => {
        const registered = evolveSubnet(initialSubnetState(), {
          type: 'SubnetRegistered',
          data: { subnetId: 'subnet-aaaa0001', vpcId: 'vpc-abcd1234', cidr: CIDR, zone: 'z1' },
        } as SubnetEvent);
        // owned: this fold made the map and changes it in place from here on
        let s: SubnetState = { ...registered, addresses: Object.create(null) };
        steps.forEach((st, i) => {
          const e = eventOf(s, st, i);
          if (e) s = evolveSubnetOwned(s, e);
          expect(pickFreeAddresses(s, n)).toEqual(lowestFree(s, n));
          const fresh = { ...s, addresses: { ...s.addresses } };
          expect(freeUnclaimed(s)).toBe(freeUnclaimed(fresh));
          for (const node of NODES) expect(heldBy(s, node)).toBe(heldBy(fresh, node));
        });
      }),
      { numRuns: 1_000 },
    );
  });
});
