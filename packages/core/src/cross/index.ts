export * from './commands.js';
export * from './decide.js';
export * from './static-ip.js';
