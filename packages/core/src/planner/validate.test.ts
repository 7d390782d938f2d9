import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpamError } from '../errors.js';
import type { PlannerInput } from './types.js';
import { assertPlannerInput, isPlannerInput, plannerSchemaAccepts } from './validate.js';

const good = (): PlannerInput => ({
  now: 1_700_000_000_000,
  mode: 'shared',
  poolPolicy: 'warm',
  limits: { maxEnis: 4, ipsPerEni: 10 },
  preBind: { min: 2, max: 5 },
  releaseIntervalMs: 60_000,
  lastReleaseAt: 1_699_999_000_000,
  pods: 3,
  enis: [
    { id: 'eth0', subnetId: 'node-subnet', primary: true, state: 'attached', ips: [] },
    {
      id: 'eni-1',
      subnetId: 'subnet-1',
      primary: false,
      state: 'attached',
      ips: [
        { ip: '10.0.0.5', status: 'bound', allocated: true },
        { ip: '10.0.0.6', status: 'binding', allocated: false },
      ],
      exclusivePod: 'default/p',
    },
  ],
  subnets: [{ subnetId: 'subnet-1', zone: 'zone-1', freeIps: 100 }],
  zone: 'zone-1',
  draining: false,
});

/** Where an edit lands: the input itself, a nested object, an ENI, an IP, a subnet. */
type Target = 'top' | 'limits' | 'preBind' | 'eni' | 'ip' | 'subnet';
const targetOf = (x: Record<string, unknown>, t: Target): unknown => {
  const at = (o: unknown, k: string | number): unknown =>
    typeof o === 'object' && o !== null ? (o as Record<string | number, unknown>)[k] : undefined;
  if (t === 'limits' || t === 'preBind') return x[t];
  if (t === 'eni') return at(x.enis, 1);
  if (t === 'ip') return at(at(at(x.enis, 1), 'ips'), 0);
  if (t === 'subnet') return at(x.subnets, 0);
  return x;
};

describe('isPlannerInput (the hand-written check)', () => {
  it('property: agrees with the zod schema on valid inputs and on every kind of damage', () => {
    const key = fc.constantFrom(
      ...['now', 'mode', 'poolPolicy', 'limits', 'preBind', 'releaseIntervalMs', 'lastReleaseAt', 'pods', 'enis'],
      ...['subnets', 'zone', 'draining', 'maxEnis', 'ipsPerEni', 'min', 'max', 'id', 'subnetId', 'primary'],
      ...['state', 'ips', 'exclusivePod', 'claimedBy', 'ip', 'status', 'allocated', 'freeIps', 'extra'],
    );
    const junk = fc.oneof(
      fc.constantFrom(undefined, null, true, false, 0, 1, -1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
      fc.constantFrom('', 'x', 'shared', 'exclusive', 'warm', 'on-demand', 'bound', 'attached', 'creating'),
      fc.constantFrom({}, [], [{}], [{ ip: 'a', status: 'bound', allocated: false }], { maxEnis: 1, ipsPerEni: 1 }),
      fc.integer({ min: -2, max: 3 }),
      fc.string({ maxLength: 3 }),
    );
    const target = fc.constantFrom<Target>('top', 'limits', 'preBind', 'eni', 'ip', 'subnet');
    fc.assert(
      fc.property(fc.array(fc.tuple(target, key, junk), { maxLength: 3 }), fc.boolean(), (edits, drop) => {
        const x = structuredClone(good()) as unknown as Record<string, unknown>;
        for (const [t, k, v] of edits) {
          const o = targetOf(x, t) as Record<string, unknown> | null;
          if (typeof o !== 'object' || o === null) continue;
          if (drop && v === undefined) delete o[k];
          else o[k] = v;
        }
        expect(isPlannerInput(x)).toBe(plannerSchemaAccepts(x));
      }),
      { numRuns: 5000 },
    );
    expect(isPlannerInput(good())).toBe(true);
  });

  it('a refused view is still explained by zod, naming the field', () => {
    const bad = { ...good(), pods: -1 };
    try {
      assertPlannerInput(bad);
      expect.unreachable();
    } catch (e) {
      expect(isIpamError(e, 'InvalidInput')).toBe(true);
      expect(String(e)).toMatch(/pods/);
    }
  });
});
