/** The small accumulator every planning branch writes to, and helpers they share. */
import { pickSubnetForNewEni } from './order.js';
import type {
  PickedIp,
  PlanAction,
  PlanFigures,
  PlannerEni,
  PlannerInput,
  PlannerSubnet,
  PlanRefusal,
  PoolPlan,
} from './types.js';

export interface PlanContext {
  readonly input: PlannerInput;
  readonly actions: PlanAction[];
  readonly explain: string[];
  nextReleaseAt?: number;
  slowReleaseAt?: number;
  refusal?: PlanRefusal;
}

export const newContext = (input: PlannerInput): PlanContext => ({ input, actions: [], explain: [] });

export const finish = (ctx: PlanContext, figures: PlanFigures): PoolPlan => ({
  actions: ctx.actions,
  explain: ctx.explain,
  figures,
  ...(ctx.nextReleaseAt === undefined ? {} : { nextReleaseAt: ctx.nextReleaseAt }),
  ...(ctx.slowReleaseAt === undefined ? {} : { slowReleaseAt: ctx.slowReleaseAt }),
  ...(ctx.refusal === undefined ? {} : { refusal: ctx.refusal }),
});

/** Records a refusal (the first one wins: it is the root cause) and explains it. */
export const refuse = (ctx: PlanContext, refusal: PlanRefusal): void => {
  ctx.refusal ??= refusal;
  ctx.explain.push(`refused (${refusal.code}): ${refusal.reason}`);
};

/** A node whose zone has no configured subnet can get no pod address at all: say so up front. */
export const checkZone = (ctx: PlanContext): void => {
  const pick = pickSubnetForNewEni(ctx.input.subnets, ctx.input.zone);
  if (!pick.ok && pick.refusal.code === 'NoSubnetInZone') refuse(ctx, pick.refusal);
};

/**
 * Slow release pacing: due when nothing was released yet or a whole interval has passed since
 * the last slow release. When not due, records when it will be (`nextReleaseAt`).
 */
export const slowReleaseDue = (ctx: PlanContext): boolean => {
  const { lastReleaseAt, releaseIntervalMs, now } = ctx.input;
  if (lastReleaseAt === undefined || now >= lastReleaseAt + releaseIntervalMs) return true;
  ctx.nextReleaseAt = lastReleaseAt + releaseIntervalMs;
  return false;
};

/**
 * ENI slots of the instance in use or promised: every ENI except those being deleted (already
 * detached) and claimed ENIs parked detached for their pod. A `creating` or `detached` pool ENI
 * holds a slot because it is either attached next or deleted next; counting it keeps the node
 * within `maxEnis` whatever order the cloud answers in.
 */
export const usedSlots = (enis: readonly PlannerEni[]): number =>
  enis.filter((e) => e.state !== 'deleting' && !(e.claimedBy !== undefined && e.state === 'detached')).length;

/**
 * Whether one more ENI may be attached: the ENIs on the instance (attached, attaching, detaching)
 * plus the attaches this plan already holds stay within `maxEnis`. A detached pool ENI can
 * outnumber the free slots when a failed delete brings it back after a new ENI took its slot.
 */
export const canAttach = (ctx: PlanContext): boolean => {
  const onNode = ctx.input.enis.filter((e) => ['attached', 'attaching', 'detaching'].includes(e.state)).length;
  const planned = ctx.actions.filter((a) => a.kind === 'attachEni').length;
  if (onNode + planned < ctx.input.limits.maxEnis) return true;
  ctx.explain.push(`no attach: the instance holds its max ${ctx.input.limits.maxEnis} ENIs`);
  return false;
};

/** One `unbindIps` action per ENI, in the order the picks came. */
export const unbindPicked = (ctx: PlanContext, picks: readonly PickedIp[], why: string, paced = false): void => {
  const byEni = new Map<string, string[]>();
  for (const p of picks) byEni.set(p.eniId, [...(byEni.get(p.eniId) ?? []), p.ip]);
  for (const [eniId, ips] of byEni) {
    ctx.actions.push({ kind: 'unbindIps', eniId, ips, why, ...(paced ? { paced: true as const } : {}) });
  }
};

/**
 * Plans one new ENI when the pool still falls short after every existing ENI: only one creation
 * at a time per node, never past the node's max ENIs, in the zone's subnet with the most free
 * IPs (or a refusal saying why no subnet fits). `shortfall` opens the explanation, e.g.
 * "3 more IPs needed"; `why` says why this subnet, for the intent event.
 */
export const createOneEni = (
  ctx: PlanContext,
  pool: readonly PlannerEni[],
  shortfall: string,
  why: (subnet: PlannerSubnet) => string,
): void => {
  const { input } = ctx;
  if (pool.some((e) => e.state === 'creating')) {
    ctx.explain.push(`${shortfall}; waiting for the ENI being created (one creation at a time)`);
    return;
  }
  if (usedSlots(input.enis) >= input.limits.maxEnis) {
    ctx.explain.push(`${shortfall}, but the node has its max ${input.limits.maxEnis} ENIs`);
    return;
  }
  const pick = pickSubnetForNewEni(input.subnets, input.zone);
  if (!pick.ok) {
    refuse(ctx, pick.refusal);
    return;
  }
  ctx.actions.push({ kind: 'createEni', subnetId: pick.subnet.subnetId, why: why(pick.subnet) });
};
