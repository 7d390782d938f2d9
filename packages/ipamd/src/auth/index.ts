export * from './authenticator.js';
export * from './hmac-authenticator.js';
