/** The pool planner: a node's pool, its limits and config in; a plan of cloud actions out. */
export * from './limits.js';
export * from './order.js';
export * from './types.js';
