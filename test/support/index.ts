/** Test support shared by cross-package tests and the demo. */
export * from './fake-apiserver/index.js';
export * from './ipamd-process.js';
export * from './objects.js';
export * from './wait.js';
