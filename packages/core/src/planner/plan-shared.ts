/**
 * Shared-ENI mode: pods get secondary IPs of shared ENIs. DESIGN 1.1, `warm` and `on-demand`.
 *
 * Warm pool, in order of precedence:
 * 1. bound > max bindable: unbind the excess idle IPs at once (limits shrank);
 * 2. bound < pods + min: bind up to pods + min at once, on attached ENIs with room first
 *    (least-ENI order: the ENI with the most allocated IPs first), then count ENIs on their way,
 *    then create ONE new ENI in the zone's subnet with the most free IPs;
 * 3. bound > pods + max: unbind one idle IP per release interval;
 * 4. while no more IPs are needed: detach ENIs with no secondary IP left, delete detached ones.
 */
import { maxBindableIps, secondaryIpsPerEni } from './limits.js';
import { allocatedIps, boundIps, isPoolEni, pickIpsToRelease, pickSubnetForNewEni } from './order.js';
import {
  canAttach,
  checkZone,
  createOneEni,
  finish,
  newContext,
  type PlanContext,
  refuse,
  slowReleaseDue,
  unbindPicked,
  usedSlots,
} from './plan-context.js';
import type { PlanFigures, PlannerEni, PlannerInput, PoolPlan } from './types.js';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Warm: the pre-bind bounds capped at max bindable. On-demand: no pre-bind, the target is the pods. */
const sharedFigures = (input: PlannerInput, pool: readonly PlannerEni[]): PlanFigures => {
  const maxBindable = maxBindableIps(input.limits);
  const warm = input.poolPolicy === 'warm';
  return {
    bound: sum(pool.map(boundIps)),
    inUse: sum(pool.map(allocatedIps)),
    low: Math.min(input.pods + (warm ? input.preBind.min : 0), maxBindable),
    high: Math.min(input.pods + (warm ? input.preBind.max : 0), maxBindable),
    maxBindable,
  };
};

/** Detach empty attached ENIs and delete empty detached ones: the pool no longer needs them. */
const retireEmptyEnis = (ctx: PlanContext, pool: readonly PlannerEni[], why: string): void => {
  for (const eni of pool) {
    if (eni.ips.length > 0) continue;
    if (eni.state === 'attached') ctx.actions.push({ kind: 'detachEni', eniId: eni.id, why });
    if (eni.state === 'detached') ctx.actions.push({ kind: 'deleteEni', eniId: eni.id, why });
  }
};

const drain = (ctx: PlanContext, pool: readonly PlannerEni[]): void => {
  const picks = pickIpsToRelease(pool, Number.POSITIVE_INFINITY);
  if (picks.length > 0) {
    unbindPicked(ctx, picks, 'node is draining: every idle IP is released');
    ctx.explain.push(`draining: unbind ${picks.length} idle IPs`);
  }
  retireEmptyEnis(ctx, pool, 'node is draining: ENI without secondary IPs is released');
};

/**
 * Binds `need` IPs: on attached ENIs with room (least-ENI order, within each subnet's free IPs),
 * then counts ENIs already on their way (attaching them when detached), then creates one ENI.
 */
const fill = (ctx: PlanContext, pool: readonly PlannerEni[], need0: number): void => {
  const { input } = ctx;
  const perEni = secondaryIpsPerEni(input.limits);
  const free = new Map(input.subnets.map((s) => [s.subnetId, s.freeIps]));
  let need = need0;
  const attached = pool
    .filter((e) => e.state === 'attached')
    .sort((a, b) => allocatedIps(b) - allocatedIps(a) || b.ips.length - a.ips.length || (a.id < b.id ? -1 : 1));
  for (const eni of attached) {
    if (need === 0) break;
    const subnetFree = free.get(eni.subnetId) ?? 0;
    const count = Math.min(need, perEni - eni.ips.length, subnetFree);
    if (count <= 0) continue;
    free.set(eni.subnetId, subnetFree - count);
    need -= count;
    ctx.actions.push({
      kind: 'bindIps',
      eniId: eni.id,
      subnetId: eni.subnetId,
      count,
      why: `bound below pods + min: bind ${count} on the ENI with the most allocated IPs that has room`,
    });
  }
  if (need === 0) return;
  for (const eni of pool.filter((e) => e.state === 'creating' || e.state === 'attaching' || e.state === 'detached')) {
    if (eni.state === 'detached' && eni.ips.length === 0) {
      if (!canAttach(ctx)) continue;
      ctx.actions.push({ kind: 'attachEni', eniId: eni.id, why: 'the pool needs IPs: attach the existing ENI' });
    }
    need = Math.max(0, need - (perEni - eni.ips.length));
  }
  if (need === 0) {
    ctx.explain.push('the remaining IPs come from ENIs on their way');
    return;
  }
  createOneEni(
    ctx,
    pool,
    `${need} more IPs needed`,
    (s) =>
      `${need} more IPs needed and the ENIs are full or their subnet has no free IP: new ENI in the subnet with the most free IPs (${s.freeIps})`,
  );
};

const planWarm = (ctx: PlanContext, pool: readonly PlannerEni[], f: PlanFigures): void => {
  for (const eni of pool.filter((e) => e.state === 'detached' && e.ips.length > 0)) {
    if (!canAttach(ctx)) break;
    ctx.actions.push({ kind: 'attachEni', eniId: eni.id, why: 'a detached pool ENI still holds bound IPs: attach it' });
  }
  if (f.bound > f.maxBindable) {
    const picks = pickIpsToRelease(pool, f.bound - f.maxBindable);
    unbindPicked(ctx, picks, `bound ${f.bound} above max bindable ${f.maxBindable}: excess idle IPs released at once`);
    ctx.explain.push(`trim: ${f.bound} bound > max bindable ${f.maxBindable}, unbind ${picks.length} idle IPs`);
  } else if (f.bound < f.low) {
    ctx.explain.push(`fill: ${f.bound} bound < pods + min = ${f.low}, need ${f.low - f.bound}`);
    fill(ctx, pool, f.low - f.bound);
    return;
  } else if (f.bound > f.high) {
    if (slowReleaseDue(ctx)) {
      const picks = pickIpsToRelease(pool, 1);
      unbindPicked(ctx, picks, `bound ${f.bound} above pods + max ${f.high}: slow release of one idle IP`, true);
      if (picks.length > 0) ctx.slowReleaseAt = ctx.input.now;
      ctx.explain.push(`slow release: ${f.bound} bound > pods + max = ${f.high}, unbind ${picks.length}`);
    } else {
      ctx.explain.push(`slow release not due before ${ctx.nextReleaseAt}`);
    }
  } else {
    ctx.explain.push(`within bounds: ${f.low} <= ${f.bound} bound <= ${f.high}`);
  }
  retireEmptyEnis(ctx, pool, 'no more IPs needed and the ENI has no secondary IP: detach, then delete');
};

/** On-demand: one ENI per node, no secondary IPs pre-bound; its subnet must hold its whole quota. */
const planOnDemand = (ctx: PlanContext, pool: readonly PlannerEni[]): void => {
  const { input } = ctx;
  const live = pool.filter((e) => e.state !== 'deleting');
  if (live.length > 0) {
    for (const eni of live.filter((e) => e.state === 'detached')) {
      ctx.actions.push({ kind: 'attachEni', eniId: eni.id, why: "on-demand: attach the node's ENI" });
    }
    ctx.explain.push(`on-demand: the node has its ENI (${live.map((e) => e.id).join(', ')}); binds happen per pod`);
    return;
  }
  if (usedSlots(input.enis) >= input.limits.maxEnis) {
    ctx.explain.push(`on-demand: no room for the node's ENI (max ${input.limits.maxEnis} ENIs)`);
    return;
  }
  const pick = pickSubnetForNewEni(input.subnets, input.zone, input.limits.ipsPerEni);
  if (!pick.ok) {
    refuse(ctx, pick.refusal);
    return;
  }
  ctx.actions.push({
    kind: 'createEni',
    subnetId: pick.subnet.subnetId,
    why: `on-demand: the node's ENI, in the subnet with the most free IPs that holds its quota of ${input.limits.ipsPerEni}`,
  });
};

export const planShared = (input: PlannerInput): PoolPlan => {
  const ctx = newContext(input);
  const pool = input.enis.filter(isPoolEni);
  const figures = sharedFigures(input, pool);
  checkZone(ctx);
  if (input.draining) drain(ctx, pool);
  else if (input.poolPolicy === 'on-demand') planOnDemand(ctx, pool);
  else planWarm(ctx, pool, figures);
  return finish(ctx, figures);
};
