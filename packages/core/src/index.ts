/**
 * @eni-ipam/core: the pure domain of eni-ipam. Values in, values out; no I/O, no clock, no
 * randomness (enforced by the lint rule in biome.json).
 *
 * - events: the catalogue (every event type, its version and schema) and `decodeEvent`;
 * - node / subnet / cluster: commands, states, `decide*` and `evolve*` of each stream;
 * - cross: decisions that append to a node stream and a subnet stream together;
 * - projections and invariants: read models and the checker of DESIGN section 6;
 * - values: validated value types and their parsers;
 * - planner: the pool planner and its ordering rules.
 */
export * from './cluster/cluster.js';
export * from './cross/index.js';
export * from './decider/decider.js';
export * from './errors.js';
export * from './events/index.js';
export * from './invariants/index.js';
export * from './node/index.js';
export * from './planner/index.js';
export * from './ports/clock.js';
export * from './ports/event-store.js';
export * from './ports/vpc-api.js';
export * from './projections/index.js';
export * from './subnet/index.js';
export * from './values/index.js';
