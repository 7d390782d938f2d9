/**
 * Node capacity, derived from the instance's ENI limits. One definition, used by the planner
 * and by the domain for the node's extended resources.
 */
import type { PlannerLimits } from './types.js';

/**
 * Pod IPs a node can bind in shared mode: `(maxEnis - 1) x (ipsPerEni - 1)`.
 *
 * DESIGN 1.1 says "max ENIs x IPs per ENI"; counted exactly, that is the secondary ENIs (the
 * primary ENI, eth0, carries no pod IPs in TKE shared mode) times their secondary IPs (an ENI's
 * own primary IP is never a pod IP). This is the capacity of `tke.cloud.tencent.com/eni-ip`.
 *
 * @example maxBindableIps({ maxEnis: 4, ipsPerEni: 10 }) // 27
 */
export const maxBindableIps = (limits: PlannerLimits): number =>
  Math.max(0, limits.maxEnis - 1) * Math.max(0, limits.ipsPerEni - 1);

/**
 * ENIs a node can hand to exclusive pods: `maxEnis - 1` (the primary ENI stays with the host).
 * This is both the exclusive pool's cap and the capacity of `tke.cloud.tencent.com/direct-eni`
 * ("max exclusive-ENI pods = max bindable ENIs - 1", DESIGN 1.1).
 *
 * @example maxExclusiveEnis({ maxEnis: 4, ipsPerEni: 10 }) // 3
 */
export const maxExclusiveEnis = (limits: PlannerLimits): number => Math.max(0, limits.maxEnis - 1);

/** Secondary IPs one ENI can carry: `ipsPerEni - 1`. */
export const secondaryIpsPerEni = (limits: PlannerLimits): number => Math.max(0, limits.ipsPerEni - 1);
