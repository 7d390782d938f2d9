/** Exponential backoff: `initialMs * factor^(attempt-1)`, capped at `maxMs`, with up to `jitter` of it random. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Default 2. */
  factor?: number;
  /** Fraction of the delay added at random (0..1), so restarts of many clients spread out. Default 0.2. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/**
 * The delay before attempt `attempt` (1 = the first retry).
 *
 * @example backoffDelay({ initialMs: 100, maxMs: 1000, jitter: 0 }, 3) // 400
 */
export const backoffDelay = (b: Backoff, attempt: number, random: () => number = Math.random): number => {
  const base = Math.min(b.maxMs, b.initialMs * (b.factor ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + (b.jitter ?? 0.2) * random()));
};
