/**
 * @eni-ipam/core: the pure domain of eni-ipam. Values in, values out; no I/O, no clock, no
 * randomness (enforced by the lint rule in biome.json).
 */
export * from './errors.js';
export * from './planner/index.js';
export * from './ports/clock.js';
export * from './ports/event-store.js';
export * from './ports/vpc-api.js';
