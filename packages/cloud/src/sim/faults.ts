/**
 * Fault injection and rate limits for the simulator. Faults are chosen by a seeded generator
 * so a failing chaos run can be replayed with the same seed.
 */
import { z } from 'zod';

export const faultRuleSchema = z
  .object({
    /** Share of calls answered with `errorCode` (default RequestLimitExceeded), changing nothing. */
    errorRate: z.number().min(0).max(1).optional(),
    errorCode: z.string().min(1).optional(),
    /** Added latency before the answer, in ms. */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /** Share of calls applied and then answered by dropping the connection (no response). */
    ambiguousRate: z.number().min(0).max(1).optional(),
    /** Share of calls answered with HTTP 503, changing nothing. */
    http5xxRate: z.number().min(0).max(1).optional(),
    /** Share of asynchronous tasks that end FAILED (the change is undone). */
    taskFailRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** Rules per action name; `*` applies to every action without its own rule. */
export const faultConfigSchema = z.record(z.string(), faultRuleSchema);
export type FaultConfig = z.infer<typeof faultConfigSchema>;

export const ruleFor = (faults: FaultConfig, action: string): FaultRule => faults[action] ?? faults['*'] ?? {};

/** mulberry32: a small, fast, seedable generator; uniform in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * Per-action request limits as Tencent applies them: N requests per second per action, beyond
 * which the call gets RequestLimitExceeded. A fixed one-second window, like the product's.
 */
export class ActionRateLimiter {
  private readonly windows = new Map<string, { second: number; count: number }>();
  constructor(private readonly limits: Readonly<Record<string, number>>) {}

  /** True when the call is within its action's limit (and counts it). */
  admit(action: string, nowMs: number): boolean {
    const limit = this.limits[action] ?? this.limits['*'];
    if (limit === undefined) return true;
    const second = Math.floor(nowMs / 1000);
    const w = this.windows.get(action);
    if (!w || w.second !== second) {
      this.windows.set(action, { second, count: 1 });
      return limit >= 1;
    }
    w.count++;
    return w.count <= limit;
  }
}

/** Documented-style defaults: 20 requests/s per action, 100/s for AssignPrivateIpAddresses. */
export const defaultSimRateLimits: Readonly<Record<string, number>> = {
  '*': 20,
  AssignPrivateIpAddresses: 100,
  DescribeVpcTaskResult: 100,
};
