/** Reduces a plan to counts, for table tests. */
import type { PoolPlan } from '../types.js';

export interface PlanSummary {
  bind: number;
  create: number;
  attach: number;
  release: number;
  detach: number;
  delete: number;
}

export const summarize = (plan: PoolPlan): PlanSummary => {
  const s: PlanSummary = { bind: 0, create: 0, attach: 0, release: 0, detach: 0, delete: 0 };
  for (const a of plan.actions) {
    if (a.kind === 'bindIps') s.bind += a.count;
    else if (a.kind === 'unbindIps') s.release += a.ips.length;
    else if (a.kind === 'createEni') s.create += 1;
    else if (a.kind === 'attachEni') s.attach += 1;
    else if (a.kind === 'detachEni') s.detach += 1;
    else s.delete += 1;
  }
  return s;
};

/** A summary with every count zero except those given. */
export const counts = (over: Partial<PlanSummary>): PlanSummary => ({
  bind: 0,
  create: 0,
  attach: 0,
  release: 0,
  detach: 0,
  delete: 0,
  ...over,
});
