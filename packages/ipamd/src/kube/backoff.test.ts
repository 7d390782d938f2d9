import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it.each([
    { attempt: 1, expected: 100 },
    { attempt: 2, expected: 200 },
    { attempt: 4, expected: 800 },
    { attempt: 5, expected: 1000 },
    { attempt: 50, expected: 1000 },
  ])('attempt $attempt waits $expected ms without jitter', ({ attempt, expected }) => {
    expect(backoffDelay({ initialMs: 100, maxMs: 1000, jitter: 0 }, attempt)).toBe(expected);
  });

  it('stays within [base, base * (1 + jitter)] and never decreases with the attempt (same random draw)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const b = { initialMs: 50, maxMs: 10_000, jitter: 0.5 };
        const d = backoffDelay(b, attempt, () => r);
        const base = Math.min(10_000, 50 * 2 ** (attempt - 1));
        expect(d).toBeGreaterThanOrEqual(Math.floor(base));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.5));
        expect(backoffDelay(b, attempt + 1, () => r)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
