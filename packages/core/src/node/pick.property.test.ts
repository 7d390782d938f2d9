/**
 * pickIpInState (the allocation decider's pick, read straight from the node's state) against
 * what it replaced: the planner's pickIpForPod on the planner view of the same state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickIpForPod } from '../planner/order.js';
import { ipToInt } from '../values/ipv4.js';
import { pickIpInState } from './pick.js';
import { toPlannerEnis } from './planner-view.js';
import { type Allocation, type Assignment, initialNodeState, type NodeEni, type NodeState } from './state.js';

const ENI_IDS = ['eni-a', 'eni-b', 'eni-c', 'eni-d', 'eni-e'];
const address = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map((n) => `10.0.1.${n}`),
  fc.integer({ min: 0, max: 3 }).map((n) => `10.0.${n}.7`),
);
const pod = fc.record({ namespace: fc.constantFrom('default', 'kube-system'), name: fc.constantFrom('a', 'b', 'c') });

const eni = (eniId: string): fc.Arbitrary<NodeEni> =>
  fc
    .record({
      state: fc.constantFrom('attached', 'attached', 'attached', 'attaching', 'detaching', 'detached', 'deleting'),
      ips: fc.uniqueArray(
        fc.record({
          ip: address,
          status: fc.constantFrom('bound', 'bound', 'bound', 'binding', 'unbinding'),
          reserved: fc.constantFrom(false, false, false, true),
        }),
        { selector: (i) => i.ip, maxLength: 10 },
      ),
    })
    .map(({ state, ips }) => ({
      eniId,
      subnetId: 'subnet-aaaa0001',
      primaryIp: '10.0.9.1',
      mac: '02:00:00:00:00:01',
      state,
      ips: Object.fromEntries(
        ips.map((i) => [
          i.ip,
          { ip: i.ip, status: i.status, ...(i.reserved ? { reservedFor: 'default/claimed' } : {}) },
        ]),
      ),
    }));

/** Any mix: allocations on and off the ENIs' addresses, ENIs handed to exclusive pods, create intents. */
const nodeState: fc.Arbitrary<NodeState> = fc
  .record({
    enis: fc.subarray(ENI_IDS).chain((ids) => fc.tuple(...ids.map(eni))),
    allocated: fc.array(
      fc.record({ eni: fc.constantFrom(...ENI_IDS), pick: fc.nat(), ip: address, onEni: fc.boolean() }),
      {
        maxLength: 12,
      },
    ),
    assigned: fc.subarray(ENI_IDS, { maxLength: 2 }),
    pod,
  })
  .map(({ enis, allocated, assigned, pod }) => {
    const byId = Object.fromEntries(enis.map((e) => [e.eniId, e]));
    const allocations: Record<string, Allocation> = {};
    allocated.forEach((a, k) => {
      const ips = Object.keys(byId[a.eni]?.ips ?? {});
      const ip = a.onEni && ips.length > 0 ? (ips[a.pick % ips.length] as string) : a.ip;
      allocations[`c${k}`] = { containerId: `c${k}`, pod, ip, eniId: a.eni };
    });
    const assignments: Record<string, Assignment> = Object.fromEntries(
      assigned.map((eniId, k) => [`x${k}`, { containerId: `x${k}`, pod, eniId }]),
    );
    return {
      ...initialNodeState(),
      status: 'active' as const,
      node: 'node-a',
      enis: byId,
      allocations,
      assignments,
      intents: { 'i-1': { intentId: 'i-1', op: 'create' as const, subnetId: 'subnet-aaaa0001' } },
    };
  });

describe('pickIpInState agrees with the planner', () => {
  it('the same ENI and IP as pickIpForPod(toPlannerEnis(s)), and the pods counted on that ENI', () => {
    fc.assert(
      fc.property(nodeState, (s) => {
        const got = pickIpInState(s);
        const want = pickIpForPod(toPlannerEnis(s));
        expect(got && { eniId: got.eniId, ip: got.ip }).toEqual(want);
        if (got) {
          expect(got.podsOnEni).toBe(Object.values(s.allocations).filter((a) => a.eniId === got.eniId).length);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('the planner view lists every IP of each ENI once, in numeric order, allocated when a pod or a claim holds it', () => {
    fc.assert(
      fc.property(nodeState, (s) => {
        const held = new Set(Object.values(s.allocations).map((a) => a.ip));
        for (const pe of toPlannerEnis(s)) {
          const e = s.enis[pe.id];
          if (!e) continue; // the synthetic primary and create intents
          const want = Object.values(e.ips)
            .sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip))
            .map((i) => ({ ip: i.ip, status: i.status, allocated: held.has(i.ip) || i.reservedFor !== undefined }));
          expect(pe.ips).toEqual(want);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('finds a pick in a good share of the generated states (the test is not vacuous)', () => {
    const picks = fc.sample(nodeState, { numRuns: 500, seed: 7 }).filter((s) => pickIpInState(s) !== undefined);
    expect(picks.length).toBeGreaterThan(100);
  });
});
