export * from './fake-ipamd.js';
export * from './fake-net-ops.js';
