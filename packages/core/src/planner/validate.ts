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

/** Throws `IpamError` (`InvalidInput` | `InvalidPreBindBounds`) unless `input` is a well-formed view. */
export const assertPlannerInput = (input: PlannerInput): void => {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
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
