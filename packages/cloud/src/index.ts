/**
 * @eni-ipam/cloud: the Tencent Cloud VPC adapter (core's `VpcApi` on tencentcloud-sdk-nodejs)
 * and the VPC simulator that speaks the same wire protocol.
 */
export { type CloudCredentials, loadCredentials } from './adapter/credentials.js';
export { createCloudLogger, REDACT_PATHS } from './adapter/logger.js';
export { classifyVendorCode, mapCloudError } from './adapter/map-error.js';
export { type BucketConfig, type Priority, RateBudget, realTimer, type Timer } from './adapter/rate-budget.js';
export { backoffDelay, defaultRetryPolicy, type RetryPolicy, withRetry } from './adapter/retry.js';
export { ConnectToAgent, DEFAULT_ENDPOINT } from './adapter/sdk-client.js';
export {
  createTencentVpcApi,
  defaultRateLimits,
  defaultTagKeys,
  type EniTagKeys,
  TencentVpcApi,
  type TencentVpcApiOptions,
  type VpcAction,
} from './adapter/tencent-vpc-api.js';
export { defaultSimRateLimits, type FaultConfig, type FaultRule } from './sim/faults.js';
export {
  API_VERSION,
  type SimCredential,
  type SimDump,
  type SimStats,
  startVpcSimulator,
  type VpcSimulator,
  type VpcSimulatorOptions,
} from './sim/server.js';
export { parseSeed, type Seed } from './sim/state.js';
export { signTc3 } from './sim/tc3.js';
export { defaultTaskDurations, type TaskDurations } from './sim/vpc-model.js';
