export { generateLog, ipOf, NODES, START } from '../ipamctl/bench/generate-log.js';
export * from './fake-vpc.js';
export * from './http.js';
export * from './recording-service.js';
export * from './service-fixture.js';
export * from './test-server.js';
