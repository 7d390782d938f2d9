export * from './agent-process.js';
export * from './cni-bench.js';
export * from './cni-harness.js';
export * from './cni-tools.js';
export * from './fake-ipamd.js';
export * from './fake-net-ops.js';
export * from './sh.js';
export * from './topology.js';
