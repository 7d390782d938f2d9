export * from './errors.js';
export * from './introspection-api.js';
export * from './node-api.js';
