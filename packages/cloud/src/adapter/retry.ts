/**
 * Exponential backoff with full jitter (delay = random x min(max, base x 2^attempt)), used only
 * for errors the caller says are retryable.
 */
import type { Timer } from './rate-budget.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export const backoffDelay = (policy: RetryPolicy, attempt: number, random: () => number): number =>
  Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));

/**
 * Runs `fn(attempt)` until it succeeds, throws a non-retryable error, or attempts run out (then
 * the last error is thrown).
 */
export const withRetry = async <T>(
  fn: (attempt: number) => Promise<T>,
  opts: { policy: RetryPolicy; retryable: (e: unknown) => boolean; timer: Timer; random: () => number },
): Promise<T> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt + 1 >= opts.policy.maxAttempts || !opts.retryable(e)) throw e;
      await opts.timer.sleep(backoffDelay(opts.policy, attempt, opts.random));
    }
  }
};
