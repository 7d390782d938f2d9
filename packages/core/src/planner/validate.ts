/**
 * Input validation of the planner: a malformed view is a bug in the caller's mapping, so it is
 * refused with a typed error (`InvalidInput`, or `InvalidPreBindBounds` for min > max) before
 * anything is planned.
 */
import { z } from 'zod';
import { IpamError } from '../errors.js';
import type { PlannerInput } from './types.js';

const count = z.number().int().nonnegative();

const ipSchema = z.object({
  ip: z.string().min(1),
  status: z.enum(['binding', 'bound', 'unbinding']),
  allocated: z.boolean(),
});

const eniSchema = z.object({
  id: z.string().min(1),
  subnetId: z.string().min(1),
  primary: z.boolean(),
  state: z.enum(['creating', 'detached', 'attaching', 'attached', 'detaching', 'deleting']),
  ips: z.array(ipSchema),
  exclusivePod: z.string().min(1).optional(),
  claimedBy: z.string().min(1).optional(),
});

const inputSchema = z.object({
  now: z.number().finite(),
  mode: z.enum(['shared', 'exclusive']),
  poolPolicy: z.enum(['warm', 'on-demand']),
  limits: z.object({ maxEnis: count, ipsPerEni: count }),
  preBind: z.object({ min: count, max: count }),
  releaseIntervalMs: count,
  lastReleaseAt: z.number().finite().optional(),
  pods: count,
  enis: z.array(eniSchema),
  subnets: z.array(z.object({ subnetId: z.string().min(1), zone: z.string().min(1), freeIps: count })),
  zone: z.string().min(1),
  draining: z.boolean().optional(),
});

// the enums come from the schemas, so the two checks cannot drift
const IP_STATUS = new Set<string>(ipSchema.shape.status.options);
const ENI_STATE = new Set<string>(eniSchema.shape.state.options);
const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isNum = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const isName = (x: unknown): boolean => typeof x === 'string' && x.length >= 1;
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isOpt = (x: unknown, ok: (y: unknown) => boolean): boolean => x === undefined || ok(x);

const isIp = (x: unknown): boolean =>
  isObj(x) && isName(x.ip) && IP_STATUS.has(x.status as string) && typeof x.allocated === 'boolean';
const isEni = (x: unknown): boolean =>
  isObj(x) &&
  isName(x.id) &&
  isName(x.subnetId) &&
  typeof x.primary === 'boolean' &&
  ENI_STATE.has(x.state as string) &&
  Array.isArray(x.ips) &&
  x.ips.every(isIp) &&
  isOpt(x.exclusivePod, isName) &&
  isOpt(x.claimedBy, isName);
const isSubnet = (x: unknown): boolean => isObj(x) && isName(x.subnetId) && isName(x.zone) && isCount(x.freeIps);

/**
 * `inputSchema`'s verdict, written by hand: the planner runs for every decision and every
 * reconcile pass, and zod's parse copied the whole view (every ENI and every IP) each time. zod
 * still explains a refusal; a property test keeps the two in agreement.
 */
export const isPlannerInput = (x: unknown): boolean => {
  if (!isObj(x)) return false;
  const { limits, preBind } = x;
  return (
    isNum(x.now) &&
    (x.mode === 'shared' || x.mode === 'exclusive') &&
    (x.poolPolicy === 'warm' || x.poolPolicy === 'on-demand') &&
    isObj(limits) &&
    isCount(limits.maxEnis) &&
    isCount(limits.ipsPerEni) &&
    isObj(preBind) &&
    isCount(preBind.min) &&
    isCount(preBind.max) &&
    isCount(x.releaseIntervalMs) &&
    isOpt(x.lastReleaseAt, isNum) &&
    isCount(x.pods) &&
    Array.isArray(x.enis) &&
    x.enis.every(isEni) &&
    Array.isArray(x.subnets) &&
    x.subnets.every(isSubnet) &&
    isName(x.zone) &&
    isOpt(x.draining, (d) => typeof d === 'boolean')
  );
};

/** zod's verdict on a planner input (for the agreement test). */
export const plannerSchemaAccepts = (x: unknown): boolean => inputSchema.safeParse(x).success;

/** Throws `IpamError` (`InvalidInput` | `InvalidPreBindBounds`) unless `input` is a well-formed view. */
export const assertPlannerInput = (input: PlannerInput): void => {
  const parsed = isPlannerInput(input) ? undefined : inputSchema.safeParse(input);
  if (parsed && !parsed.success) {
    throw new IpamError('InvalidInput', `invalid planner input: ${z.prettifyError(parsed.error)}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  if (input.preBind.min > input.preBind.max) {
    throw new IpamError('InvalidPreBindBounds', `pre-bind min ${input.preBind.min} > max ${input.preBind.max}`, {
      ...input.preBind,
    });
  }
  const ids = new Set<string>();
  for (const eni of input.enis) {
    if (ids.has(eni.id)) throw new IpamError('InvalidInput', `ENI ${eni.id} listed twice`, { eniId: eni.id });
    ids.add(eni.id);
  }
  const ips = new Set<string>();
  for (const ip of input.enis.flatMap((e) => e.ips)) {
    if (ips.has(ip.ip)) throw new IpamError('InvalidInput', `IP ${ip.ip} listed twice`, { ip: ip.ip });
    ips.add(ip.ip);
  }
};
