import { z } from 'zod';
import { commandMetaShape } from '../decider/command-meta.js';
import { intentIdSchema, whySchema } from '../events/common.js';
import { vpcIdSchema } from '../events/subnet-events.js';
import { cidrSchema } from '../values/cidr.js';
import { eniIdSchema, nodeNameSchema, subnetIdSchema } from '../values/ids.js';
import { ipv4Schema } from '../values/ipv4.js';
import { parseWith } from '../values/parse.js';
import { podRefSchema } from '../values/pod.js';

const cmd = <const T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...commandMetaShape, subnetId: subnetIdSchema, ...shape });

const ips = z.array(ipv4Schema).min(1).max(256);
const claimPolicy = z.enum(['Immediate', 'Never']);

/**
 * The commands of a subnet stream. Address commands are issued by the cross-stream decisions
 * (they must be appended together with the node's events); claim and quota commands may be
 * issued alone (claim expiry, operator deletes, quota for an on-demand node).
 */
export const subnetCommandSchema = z.discriminatedUnion('type', [
  cmd('RegisterSubnet', { vpcId: vpcIdSchema, cidr: cidrSchema, zone: z.string().min(1).max(100) }),
  cmd('ReserveAddresses', {
    intentId: intentIdSchema,
    node: nodeNameSchema,
    eniId: eniIdSchema,
    ips,
    why: whySchema,
    /** `namespace/name` of the pod whose claimed addresses these may be. */
    forPod: z.string().min(3).max(400).optional(),
  }),
  cmd('MarkAddressesBound', { intentId: intentIdSchema, node: nodeNameSchema, eniId: eniIdSchema, ips }),
  cmd('FreeAddresses', { intentId: intentIdSchema, node: nodeNameSchema, eniId: eniIdSchema, ips, why: whySchema }),
  cmd('TakePrimaryAddress', { node: nodeNameSchema, eniId: eniIdSchema, ip: ipv4Schema }),
  cmd('FreePrimaryAddress', { node: nodeNameSchema, eniId: eniIdSchema, ip: ipv4Schema }),
  cmd('ReserveQuota', { node: nodeNameSchema, count: z.number().int().min(1).max(4096) }),
  cmd('ReleaseQuota', { node: nodeNameSchema }),
  cmd('CreateClaim', { pod: podRefSchema, ip: ipv4Schema, policy: claimPolicy, node: nodeNameSchema }),
  cmd('ReuseClaim', { pod: podRefSchema, node: nodeNameSchema }),
  /** The claim's pod is gone: `Immediate` deletes the claim, `Never` retains it. */
  cmd('ReleaseClaim', {
    pod: podRefSchema,
    /** `--claim-expired-duration` in ms; null keeps a retained claim until deleted. */
    claimExpiryMs: z.number().int().min(1000).nullable(),
  }),
  /** Expire every retained claim whose expiry is at or before the command's `at`. */
  cmd('ExpireClaims', {}),
  /** An operator (or the pod's owner) deletes a claim. */
  cmd('DeleteClaim', { pod: podRefSchema, why: whySchema }),
]);

export type SubnetCommand = z.infer<typeof subnetCommandSchema>;
export type SubnetCommandOf<T extends SubnetCommand['type']> = Extract<SubnetCommand, { type: T }>;

/** Validates an untyped subnet command; codes as for node commands. */
export const parseSubnetCommand = (input: unknown): SubnetCommand => {
  const type = (input as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !subnetCommandSchema.options.some((o) => o.shape.type.value === type)) {
    return parseWith(z.never(), input, 'UnknownCommand', `subnet command type ${JSON.stringify(type)}`);
  }
  return parseWith(subnetCommandSchema, input, 'InvalidInput', `${type} command`);
};
