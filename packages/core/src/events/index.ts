export * from './catalogue.js';
export * from './cluster-events.js';
export type { DataOf, EventSpec, EventsOf } from './common.js';
export * from './decode.js';
export * from './node-events.js';
export * from './subnet-events.js';
