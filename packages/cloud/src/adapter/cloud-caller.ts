/**
 * The plumbing under every adapter call: the shared rate budget, the SDK call, the one error
 * mapping, the retry loop, and following an asynchronous task to its end.
 */
import { IpamError, isIpamError } from '@eni-ipam/core';
import type { Logger } from 'pino';
import { mapCloudError } from './map-error.js';
import { type EniTagKeys, mutatingActions, type VpcAction } from './options.js';
import type { Priority, RateBudget, Timer } from './rate-budget.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { VpcSdkClient } from './sdk-client.js';

/** What every view of one adapter shares (whatever its priority). */
export interface Shared {
  client: VpcSdkClient;
  budget: RateBudget;
  logger: Logger;
  timer: Timer;
  random: () => number;
  retry: RetryPolicy;
  pollMs: number;
  taskTimeoutMs: number;
  tagKeys: EniTagKeys;
  clusterId: string;
  /** See `TencentVpcApiOptions.mayMutate`. */
  mayMutate?: (action: VpcAction) => void;
}

export const retryOrAmbiguous = (e: unknown) => isIpamError(e, 'CloudRetryable') || isIpamError(e, 'CloudAmbiguous');
export const vendorCode = (e: unknown) => (isIpamError(e) ? String(e.details.vendorCode ?? '') : '');

export class CloudCaller {
  constructor(
    readonly shared: Shared,
    readonly priority: Priority,
  ) {}

  /** One SDK call through the budget; every failure comes out as an `IpamError`. */
  async send<T>(action: VpcAction, call: (c: VpcSdkClient) => Promise<T>): Promise<T> {
    await this.shared.budget.acquire(action, this.priority);
    // the last moment before the request leaves: a refusal here means the call never happened
    if (mutatingActions.has(action)) this.shared.mayMutate?.(action);
    const started = this.shared.timer.now();
    try {
      const r = await call(this.shared.client);
      const requestId = (r as { RequestId?: string } | undefined)?.RequestId;
      this.shared.logger.debug({ action, requestId, ms: this.shared.timer.now() - started }, 'cloud call');
      return r;
    } catch (e) {
      const err = mapCloudError(e, action);
      this.shared.logger.debug(
        { action, code: err.code, details: err.details, ms: this.shared.timer.now() - started },
        'cloud call failed',
      );
      throw err;
    }
  }

  retrying<T>(action: VpcAction, fn: (attempt: number) => Promise<T>, retryable = retryOrAmbiguous): Promise<T> {
    return withRetry(
      async (attempt) => {
        if (attempt > 0) this.shared.logger.info({ action, attempt }, 'cloud call retried');
        return fn(attempt);
      },
      { policy: this.shared.retry, retryable, timer: this.shared.timer, random: this.shared.random },
    );
  }

  /** Waits for an asynchronous action's task; resolves on SUCCESS. */
  async waitTask(action: VpcAction, taskId: string | undefined): Promise<void> {
    if (!taskId) throw new IpamError('CloudPermanent', `${action}: no RequestId to follow`, { action });
    const deadline = this.shared.timer.now() + this.shared.taskTimeoutMs;
    for (;;) {
      const r = await this.retrying('DescribeVpcTaskResult', () =>
        this.send('DescribeVpcTaskResult', (c) => c.DescribeVpcTaskResult({ TaskId: taskId })),
      );
      if (r.Status === 'SUCCESS') return;
      if (r.Status === 'FAILED')
        throw new IpamError('CloudPermanent', `${action}: task ${taskId} FAILED: ${r.Output ?? ''}`, {
          action,
          taskId,
          taskStatus: 'FAILED',
        });
      if (this.shared.timer.now() >= deadline)
        throw new IpamError(
          'CloudAmbiguous',
          `${action}: task ${taskId} still ${r.Status} after ${this.shared.taskTimeoutMs} ms`,
          {
            action,
            taskId,
          },
        );
      await this.shared.timer.sleep(this.shared.pollMs);
    }
  }
}
