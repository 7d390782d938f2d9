/**
 * The pickers' fast paths against their definitions: compareIpv4 against its general rule (the
 * split/map comparison it had before the fast path for strict quads), pickIpForPod against
 * "rank the ENIs, sort each one's idle IPs, take the first".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIpv4, pickIpForPod, compareLoose as reference } from './order.js';
import type { PlannerEni } from './types.js';

const part = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
  fc.constantFrom('', ' 1', '1e2', '0x1', '-1', '1.5', 'a', '4294967296'),
);
const addressLike = fc.oneof(
  fc.ipV4(),
  // four parts of up to 3 digits, some above 255 (not one number: compared part by part)
  fc
    .array(fc.integer({ min: 0, max: 999 }), { minLength: 4, maxLength: 4 })
    .map((p) => p.join('.')),
  fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.')),
  fc.string({ maxLength: 16 }),
);

describe('compareIpv4 agrees with its general rule', () => {
  it('same sign on every pair, strict quads or not', () => {
    fc.assert(
      fc.property(addressLike, addressLike, (a, b) => {
        expect(Math.sign(compareIpv4(a, b))).toBe(Math.sign(reference(a, b)));
      }),
      { numRuns: 20_000 },
    );
  });
});

const byId = (a: PlannerEni, b: PlannerEni) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const allocated = (e: PlannerEni) => e.ips.filter((i) => i.allocated).length;
const definition = (enis: readonly PlannerEni[]) => {
  const ranked = enis
    .filter((e) => e.state === 'attached' && !e.primary && e.exclusivePod === undefined && e.claimedBy === undefined)
    .sort((a, b) => allocated(b) - allocated(a) || byId(a, b));
  for (const e of ranked) {
    const ip = e.ips
      .filter((i) => i.status === 'bound' && !i.allocated)
      .map((i) => i.ip)
      .sort(reference)[0];
    if (ip !== undefined) return { eniId: e.id, ip };
  }
  return undefined;
};

const plannerEni = fc.record({
  id: fc.constantFrom('eni-a', 'eni-b', 'eni-c', 'eni-d'),
  subnetId: fc.constant('subnet-a'),
  primary: fc.constantFrom(false, false, false, true),
  state: fc.constantFrom('attached', 'attached', 'attaching', 'detaching'),
  ips: fc.array(
    fc.record({
      ip: fc.oneof(
        fc.ipV4(),
        fc.integer({ min: 0, max: 40 }).map((n) => `10.0.1.${n}`),
      ),
      status: fc.constantFrom('bound', 'bound', 'binding', 'unbinding'),
      allocated: fc.boolean(),
    }),
    { maxLength: 12 },
  ),
}) as fc.Arbitrary<PlannerEni>;

describe('pickIpForPod agrees with its definition', () => {
  it('the same ENI and IP on any view', () => {
    fc.assert(
      fc.property(fc.array(plannerEni, { maxLength: 6 }), (enis) => {
        expect(pickIpForPod(enis)).toEqual(definition(enis));
      }),
      { numRuns: 5_000 },
    );
  });
});
