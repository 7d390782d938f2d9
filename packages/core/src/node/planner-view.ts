import type { PlannerEni } from '../planner/types.js';
import { compareIps } from '../values/ipv4.js';
import type { NodeState } from './state.js';

/** Id of the synthetic entry standing for the instance's primary ENI (eth0) in planner views. */
export const PRIMARY_ENI_ID = 'eth0';

/**
 * The node's ENIs as the planner and its ordering helpers see them:
 * - the instance's primary ENI (never used for pods) as a synthetic `primary` entry;
 * - one `creating` entry per create intent (its id is the intent id);
 * - every ENI, its secondary IPs with `allocated` true when a pod holds the IP **or** the IP is
 *   held for a claim (`reservedFor`): such an IP is neither handed to another pod nor released
 *   by the pool rules (the claim path unbinds it);
 * - in exclusive mode the pod an ENI is assigned to.
 */
export const toPlannerEnis = (s: NodeState): PlannerEni[] => {
  const allocatedIps = new Set(Object.values(s.allocations).map((a) => a.ip));
  const assigned = new Map(Object.values(s.assignments).map((a) => [a.eniId, `${a.pod.namespace}/${a.pod.name}`]));
  const enis: PlannerEni[] = [{ id: PRIMARY_ENI_ID, subnetId: '', primary: true, state: 'attached', ips: [] }];
  for (const i of Object.values(s.intents)) {
    if (i.op === 'create')
      enis.push({ id: i.intentId, subnetId: i.subnetId ?? '', primary: false, state: 'creating', ips: [] });
  }
  for (const e of Object.values(s.enis)) {
    const pe: PlannerEni = {
      id: e.eniId,
      subnetId: e.subnetId,
      primary: false,
      state: e.state,
      ips: Object.values(e.ips)
        .sort((a, b) => compareIps(a.ip, b.ip))
        .map((i) => ({ ip: i.ip, status: i.status, allocated: allocatedIps.has(i.ip) || i.reservedFor !== undefined })),
    };
    const pod = assigned.get(e.eniId);
    if (pod !== undefined) pe.exclusivePod = pod;
    enis.push(pe);
  }
  return enis;
};
