import { compareIpv4 } from '../planner/order.js';
import type { PickedIp } from '../planner/types.js';
import type { Allocation, Assignment, NodeEni, NodeIp, NodeState } from './state.js';

/** The pick, and how many pods the chosen ENI already holds (for the event's `why`). */
export interface PickedIpInState extends PickedIp {
  podsOnEni: number;
}

/**
 * `pickIpForPod(toPlannerEnis(s))` read straight from the node's state: the free bound IP of the
 * attached pool ENI with the most allocated IPs (a pod's or a claim's), ties by ENI id, then the
 * lowest IP. Every allocation is decided with it: building the planner view first (an entry per
 * ENI, each ENI's IPs copied and sorted) cost the leader about 4% of its CPU in the allocation
 * benchmarks, to pick one address. `pick.property.test.ts` checks it picks what the planner does.
 */
export const pickIpInState = (s: NodeState): PickedIpInState | undefined => {
  // for-in loops: no array of the values per record (this runs for every allocation)
  const held = new Set<string>();
  const podsOn = new Map<string, number>();
  for (const k in s.allocations) {
    const a = s.allocations[k] as Allocation;
    held.add(a.ip);
    podsOn.set(a.eniId, (podsOn.get(a.eniId) ?? 0) + 1);
  }
  // an ENI handed to a pod (exclusive mode) is not a pool ENI
  const assigned = new Set<string>();
  for (const k in s.assignments) assigned.add((s.assignments[k] as Assignment).eniId);
  let best: { eniId: string; ip: string; allocated: number } | undefined;
  for (const id in s.enis) {
    const e = s.enis[id] as NodeEni;
    if (e.state !== 'attached' || assigned.has(e.eniId)) continue;
    let allocated = 0;
    let lowest: string | undefined;
    for (const ip in e.ips) {
      const i = e.ips[ip] as NodeIp;
      if (held.has(i.ip) || i.reservedFor !== undefined) allocated++;
      else if (i.status === 'bound' && (lowest === undefined || compareIpv4(i.ip, lowest) < 0)) lowest = i.ip;
    }
    if (lowest === undefined) continue;
    if (best === undefined || allocated > best.allocated || (allocated === best.allocated && e.eniId < best.eniId))
      best = { eniId: e.eniId, ip: lowest, allocated };
  }
  return best && { eniId: best.eniId, ip: best.ip, podsOnEni: podsOn.get(best.eniId) ?? 0 };
};
