/**
 * One rate budget for every cloud call in the process: a token bucket per action, and in front
 * of each bucket a two-level queue so that pending-pod work is served before warm-pool refill.
 *
 * Hand-written: p-queue and bottleneck offer priorities, but neither takes an injectable clock
 * (they schedule on the real timers), and p-queue limits by fixed window, not by token bucket.
 */

/** `pod`: a pod is waiting for this call. `refill`: background pool maintenance. */
export type Priority = 'pod' | 'refill';

export interface BucketConfig {
  /** Sustained calls per second. */
  ratePerSecond: number;
  /** Calls allowed at once after idleness. */
  burst: number;
}

/** Time for the budget and the retry loop; `realTimer` in production, a fake in unit tests. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Bucket {
  config: BucketConfig;
  tokens: number;
  at: number;
  queues: Record<Priority, Array<() => void>>;
  waking: boolean;
}

export class RateBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly configFor: (action: string) => BucketConfig,
    private readonly timer: Timer = realTimer,
  ) {}

  /** Resolves when a call of `action` may go out. FIFO within a priority. */
  acquire(action: string, priority: Priority): Promise<void> {
    const b = this.bucket(action);
    return new Promise((resolve) => {
      b.queues[priority].push(resolve);
      this.pump(b);
    });
  }

  /** Calls waiting, per priority (for metrics and tests). */
  waiting(action: string): Record<Priority, number> {
    const b = this.buckets.get(action);
    return { pod: b?.queues.pod.length ?? 0, refill: b?.queues.refill.length ?? 0 };
  }

  private bucket(action: string): Bucket {
    let b = this.buckets.get(action);
    if (!b) {
      const config = this.configFor(action);
      b = { config, tokens: config.burst, at: this.timer.now(), queues: { pod: [], refill: [] }, waking: false };
      this.buckets.set(action, b);
    }
    return b;
  }

  private pump(b: Bucket): void {
    const now = this.timer.now();
    b.tokens = Math.min(b.config.burst, b.tokens + ((now - b.at) / 1000) * b.config.ratePerSecond);
    b.at = now;
    while (b.tokens >= 1) {
      const next = b.queues.pod.shift() ?? b.queues.refill.shift();
      if (!next) return;
      b.tokens -= 1;
      next();
    }
    if (b.waking || (b.queues.pod.length === 0 && b.queues.refill.length === 0)) return;
    b.waking = true;
    const waitMs = Math.ceil(((1 - b.tokens) / b.config.ratePerSecond) * 1000);
    void this.timer.sleep(waitMs).then(() => {
      b.waking = false;
      this.pump(b);
    });
  }
}
