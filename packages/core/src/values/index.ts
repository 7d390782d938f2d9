export * from './annotations.js';
export * from './cidr.js';
export * from './duration.js';
export * from './ids.js';
export * from './ipv4.js';
export * from './parse.js';
export * from './pod.js';
export * from './prebind.js';
