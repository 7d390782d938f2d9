/**
 * @eni-ipam/ipamd: the service's edges (configuration, node authentication, the HTTP API,
 * logs and metrics) and its application core (projections, commands, cloud executor, pool
 * reconciler). The composition root (a later issue) wires them to etcd, the cloud and Kubernetes.
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
export * from './controllers/cloud-executor.js';
export * from './controllers/log-maintenance.js';
export * from './controllers/pool-reconciler.js';
export * from './main/replica.js';
export * from './observability/logger.js';
export * from './observability/metrics.js';
export * from './service/cluster-setup.js';
export * from './service/command-service.js';
export * from './service/ipam-service.js';
export * from './service/ipamd-core.js';
export * from './service/projection-host.js';
