export * from './http.js';
export * from './recording-service.js';
export * from './test-server.js';
