/** Options of the Tencent VPC adapter, and their defaults. */
import type { Logger } from 'pino';
import type { CloudCredentials } from './credentials.js';
import type { BucketConfig, Priority, RateBudget, Timer } from './rate-budget.js';
import type { RetryPolicy } from './retry.js';

export type VpcAction =
  | 'CreateNetworkInterface'
  | 'AttachNetworkInterface'
  | 'DetachNetworkInterface'
  | 'DeleteNetworkInterface'
  | 'AssignPrivateIpAddresses'
  | 'UnassignPrivateIpAddresses'
  | 'DescribeNetworkInterfaces'
  | 'DescribeSubnets'
  | 'DescribeNetworkInterfaceLimit'
  | 'DescribeVpcTaskResult';

/**
 * Below the documented limits (20 requests/s for most VPC actions, 100/s for
 * AssignPrivateIpAddresses), so other tools on the same account keep some room.
 */
export const defaultRateLimits: Readonly<Record<VpcAction, BucketConfig>> = {
  CreateNetworkInterface: { ratePerSecond: 15, burst: 15 },
  AttachNetworkInterface: { ratePerSecond: 15, burst: 15 },
  DetachNetworkInterface: { ratePerSecond: 15, burst: 15 },
  DeleteNetworkInterface: { ratePerSecond: 15, burst: 15 },
  AssignPrivateIpAddresses: { ratePerSecond: 80, burst: 80 },
  UnassignPrivateIpAddresses: { ratePerSecond: 15, burst: 15 },
  DescribeNetworkInterfaces: { ratePerSecond: 15, burst: 15 },
  DescribeSubnets: { ratePerSecond: 15, burst: 15 },
  DescribeNetworkInterfaceLimit: { ratePerSecond: 15, burst: 15 },
  DescribeVpcTaskResult: { ratePerSecond: 15, burst: 15 },
};

/** Tag keys put on every ENI the adapter creates. */
export interface EniTagKeys {
  cluster: string;
  intent: string;
}

export const defaultTagKeys: EniTagKeys = { cluster: 'eni-ipam/cluster', intent: 'eni-ipam/intent' };

export interface TencentVpcApiOptions {
  region: string;
  credentials: CloudCredentials;
  /** Tagged on every ENI created, with the intent id, so leaks and ambiguous creates can be found. */
  clusterId: string;
  /** Default `vpc.tencentcloudapi.com`. */
  endpoint?: string;
  /** Send every request to this host:port over HTTP, keeping the endpoint's Host and signature (the simulator). */
  connectTo?: { host: string; port: number };
  /** Per request, default 10 s. A timeout is an ambiguous outcome. */
  requestTimeoutMs?: number;
  rateLimits?: Partial<Record<VpcAction, BucketConfig>>;
  /**
   * The budget to draw from. One per process: give the same one to every adapter built in the
   * process (or build one adapter and use `withPriority`). Default: a new one from `rateLimits`.
   */
  budget?: RateBudget;
  retry?: Partial<RetryPolicy>;
  /** Default 500 ms. */
  taskPollIntervalMs?: number;
  /** Default 120 s; a task still RUNNING after it is an ambiguous outcome. */
  taskTimeoutMs?: number;
  tagKeys?: Partial<EniTagKeys>;
  logger?: Logger;
  timer?: Timer;
  random?: () => number;
  /** Priority of calls made through the returned instance; default `refill`. */
  priority?: Priority;
  /**
   * Called right before each call that changes the cloud is sent (after any wait for the rate
   * budget or a retry's backoff); throw (e.g. `NotLeader`) to refuse it, and the call fails with
   * that error unsent. ipamd fences cloud changes with its leadership this way: Unassign and
   * DeleteNetworkInterface take no ClientToken, so a deposed leader's late call (a paused process
   * resuming, a call still in its retry loop) would undo what the new leader did since.
   */
  mayMutate?: (action: VpcAction) => void;
}

/** The actions that change the cloud (the others only read). */
export const mutatingActions: ReadonlySet<VpcAction> = new Set<VpcAction>([
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'DetachNetworkInterface',
  'DeleteNetworkInterface',
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
]);
