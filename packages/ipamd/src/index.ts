/**
 * @eni-ipam/ipamd: the service's edges (configuration, node authentication, the HTTP API,
 * logs and metrics). The composition root wires them to the store and cloud adapters.
 */
export * from './api/http-util.js';
export * from './api/server.js';
export * from './api/service.js';
export * from './api/status.js';
export * from './auth/index.js';
export * from './config/config.js';
export * from './config/configmap.js';
export * from './config/options.js';
export * from './config/secrets.js';
export * from './observability/logger.js';
export * from './observability/metrics.js';
