/**
 * The pool planner's entry point. Pure: values in, a plan out; time is `input.now`.
 */

import { planExclusive } from './plan-exclusive.js';
import { planShared } from './plan-shared.js';
import type { PlannerInput, PoolPlan } from './types.js';
import { assertPlannerInput } from './validate.js';

/**
 * Plans the node's pool per DESIGN 1.1: what to bind, create, attach, unbind, detach and delete
 * so that the pool moves toward [pods + min, pods + max] (capped at max bindable), at the pace
 * the rules allow. Run it again after each outcome; at rest it returns no actions.
 * Throws `IpamError` `InvalidInput` / `InvalidPreBindBounds` on a malformed input.
 *
 * @example
 *   const plan = planPool({ now, mode: 'shared', poolPolicy: 'warm', limits: { maxEnis: 4, ipsPerEni: 10 },
 *     preBind: { min: 5, max: 5 }, releaseIntervalMs: 120_000, pods: 3, enis, subnets, zone: 'ap-guangzhou-3' });
 *   // plan.actions: [{ kind: 'bindIps', eniId: 'eni-1', subnetId: 'subnet-a', count: 3, why: '...' }]
 */
export const planPool = (input: PlannerInput): PoolPlan => {
  assertPlannerInput(input);
  return input.mode === 'shared' ? planShared(input) : planExclusive(input);
};
