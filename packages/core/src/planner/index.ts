/** The pool planner: a node's pool, its limits and config in; a plan of cloud actions out. */
export * from './limits.js';
export * from './order.js';
export { planPool } from './plan-pool.js';
export * from './types.js';
export { assertPlannerInput } from './validate.js';
