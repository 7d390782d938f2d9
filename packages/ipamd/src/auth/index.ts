export * from './authenticator.js';
export * from './hmac-authenticator.js';
export * from './tokenreview-authenticator.js';
