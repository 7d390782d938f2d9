export * from './cni-harness.js';
export * from './fake-ipamd.js';
export * from './fake-net-ops.js';
