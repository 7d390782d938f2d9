export * from './audit.js';
export * from './compact.js';
export * from './node-pool.js';
export * from './projection.js';
export * from './subnet-pool.js';
