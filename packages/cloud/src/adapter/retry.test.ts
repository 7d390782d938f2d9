import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeTimer } from '../testing/index.js';
import { backoffDelay, withRetry } from './retry.js';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('withRetry', () => {
  it('retries a retryable failure with growing delays, then succeeds', async () => {
    const timer = new FakeTimer();
    let n = 0;
    const p = withRetry(
      async () => {
        if (++n < 3) throw new Error('throttled');
        return 'ok';
      },
      { policy, retryable: () => true, timer, random: () => 0.999 },
    );
    await timer.advance(10_000);
    await expect(p).resolves.toBe('ok');
    expect(timer.slept).toEqual([99, 199]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const timer = new FakeTimer();
    let n = 0;
    const p = withRetry(
      async () => {
        throw new Error(`fail ${++n}`);
      },
      { policy, retryable: () => true, timer, random: () => 0.5 },
    );
    const settled = p.catch((e: Error) => e.message);
    await timer.advance(10_000);
    expect(await settled).toBe('fail 4');
  });

  it('does not retry what is not retryable', async () => {
    const timer = new FakeTimer();
    let n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw new Error('permanent');
        },
        { policy, retryable: () => false, timer, random: () => 0.5 },
      ),
    ).rejects.toThrow('permanent');
    expect(n).toBe(1);
    expect(timer.slept).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('is full jitter: within [0, min(max, base * 2^attempt))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const d = backoffDelay(policy, attempt, () => r);
          const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
          return d >= 0 && d < cap;
        },
      ),
    );
  });
});
