/**
 * Exclusive-ENI mode: each pod gets a whole ENI (moved into its netns, still attached to the
 * node). DESIGN 1.1.
 *
 * Warm pool of ENIs, counted as the node's secondary ENIs being created, attaching or attached,
 * plus a pod's ENI found detached (it is attached back); claimed ENIs are excluded. The bounds
 * are capped at `maxEnis - 1`:
 * 1. above the cap: detach the excess idle ENIs at once;
 * 2. below pods + min: attach detached pool ENIs, then create ONE ENI (never two at once) in
 *    the zone's subnet with the most free IPs;
 * 3. above pods + max: detach one idle ENI per release interval;
 * 4. a detached idle ENI that is not needed is deleted (the second half of a release).
 * A pod's ENI returns to the pool when the pod ends (the domain clears `exclusivePod`); the
 * planner then treats it as any idle pool ENI.
 *
 * On-demand: no pool; the domain creates an ENI per pod. The planner only drains.
 */
import { maxExclusiveEnis } from './limits.js';
import {
  canAttach,
  checkZone,
  createOneEni,
  finish,
  newContext,
  type PlanContext,
  slowReleaseDue,
} from './plan-context.js';
import type { PlanFigures, PlannerEni, PlannerInput, PoolPlan } from './types.js';

/** Pool ENIs on (or on their way to) the node; a pod's detached ENI is attached back, so it counts. */
const counted = (e: PlannerEni): boolean =>
  e.state === 'creating' ||
  e.state === 'attaching' ||
  e.state === 'attached' ||
  (e.state === 'detached' && e.exclusivePod !== undefined);
const idleAttached = (pool: readonly PlannerEni[]): PlannerEni[] =>
  pool.filter((e) => e.state === 'attached' && e.exclusivePod === undefined).sort((a, b) => (a.id < b.id ? -1 : 1));

const exclusiveFigures = (input: PlannerInput, pool: readonly PlannerEni[]): PlanFigures => {
  const maxBindable = maxExclusiveEnis(input.limits);
  const warm = input.poolPolicy === 'warm';
  return {
    bound: pool.filter(counted).length,
    inUse: pool.filter((e) => e.exclusivePod !== undefined).length,
    low: Math.min(input.pods + (warm ? input.preBind.min : 0), maxBindable),
    high: Math.min(input.pods + (warm ? input.preBind.max : 0), maxBindable),
    maxBindable,
  };
};

const detach = (ctx: PlanContext, enis: readonly PlannerEni[], why: string, paced = false): void => {
  for (const eni of enis) {
    ctx.actions.push({ kind: 'detachEni', eniId: eni.id, why, ...(paced ? { paced: true as const } : {}) });
  }
};

/** Delete detached pool ENIs no pod holds: the second half of a release. */
const deleteDetached = (ctx: PlanContext, pool: readonly PlannerEni[], why: string): void => {
  for (const eni of pool.filter((e) => e.state === 'detached' && e.exclusivePod === undefined)) {
    ctx.actions.push({ kind: 'deleteEni', eniId: eni.id, why });
  }
};

const fill = (ctx: PlanContext, pool: readonly PlannerEni[], need0: number): void => {
  let need = need0;
  for (const eni of pool.filter((e) => e.state === 'detached' && e.exclusivePod === undefined)) {
    if (need > 0 && canAttach(ctx)) {
      ctx.actions.push({ kind: 'attachEni', eniId: eni.id, why: 'the ENI pool is below pods + min: attach' });
      need -= 1;
    } else {
      ctx.actions.push({ kind: 'deleteEni', eniId: eni.id, why: 'detached ENI not needed by the pool' });
    }
  }
  if (need === 0) return;
  createOneEni(
    ctx,
    pool,
    `${need} more ENIs needed`,
    (s) => `${need} more ENIs needed: new ENI in the subnet with the most free IPs (${s.freeIps})`,
  );
};

const planWarm = (ctx: PlanContext, pool: readonly PlannerEni[], f: PlanFigures): void => {
  // A pod's ENI found detached goes back on the node first: its pod is waiting for it.
  for (const eni of pool.filter((e) => e.state === 'detached' && e.exclusivePod !== undefined)) {
    ctx.actions.push({ kind: 'attachEni', eniId: eni.id, why: `ENI of pod ${eni.exclusivePod} is detached: attach` });
  }
  if (f.bound < f.low) {
    ctx.explain.push(`fill: ${f.bound} ENIs < pods + min = ${f.low}, need ${f.low - f.bound}`);
    fill(ctx, pool, f.low - f.bound);
    return;
  }
  if (f.bound > f.maxBindable) {
    const excess = idleAttached(pool).slice(0, f.bound - f.maxBindable);
    detach(ctx, excess, `${f.bound} ENIs above max ${f.maxBindable}: excess idle ENIs released at once`);
    ctx.explain.push(`trim: ${f.bound} ENIs > max ${f.maxBindable}, detach ${excess.length} idle ENIs`);
  } else if (f.bound > f.high) {
    if (slowReleaseDue(ctx)) {
      const one = idleAttached(pool).slice(0, 1);
      detach(ctx, one, `${f.bound} ENIs above pods + max ${f.high}: slow release of one idle ENI`, true);
      if (one.length > 0) ctx.slowReleaseAt = ctx.input.now;
      ctx.explain.push(`slow release: ${f.bound} ENIs > pods + max = ${f.high}, detach ${one.length}`);
    } else {
      ctx.explain.push(`slow release not due before ${ctx.nextReleaseAt}`);
    }
  } else {
    ctx.explain.push(`within bounds: ${f.low} <= ${f.bound} ENIs <= ${f.high}`);
  }
  deleteDetached(ctx, pool, 'released from the pool: detached, now deleted');
};

export const planExclusive = (input: PlannerInput): PoolPlan => {
  const ctx = newContext(input);
  const pool = input.enis.filter((e) => !e.primary && e.claimedBy === undefined);
  const figures = exclusiveFigures(input, pool);
  checkZone(ctx);
  if (input.draining) {
    detach(ctx, idleAttached(pool), 'node is draining: idle ENI released');
    deleteDetached(ctx, pool, 'node is draining: detached idle ENI deleted');
    ctx.explain.push('draining: release every idle ENI');
  } else if (input.poolPolicy === 'on-demand') {
    ctx.explain.push('on-demand: no ENI pool; ENIs are created per pod');
  } else {
    planWarm(ctx, pool, figures);
  }
  return finish(ctx, figures);
};
