import { z } from 'zod';
import { commandMetaShape } from '../decider/command-meta.js';
import { poolPolicySchema } from '../events/cluster-events.js';
import { whySchema } from '../events/common.js';
import { eniIdSchema, nodeNameSchema } from '../values/ids.js';
import { ipv4Schema } from '../values/ipv4.js';
import { parseWith } from '../values/parse.js';
import { containerIdSchema, podRefSchema } from '../values/pod.js';

const cmd = <const T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...commandMetaShape, node: nodeNameSchema, ...shape });

/**
 * Commands decided over a node stream AND a subnet stream; their events go to both streams in
 * one append. (Outcome commands `RecordEniCreated`, `RecordEniDeleted`, `RecordIpsBound`,
 * `RecordIpBindFailed`, `RecordIpsUnbound` of the node catalogue are cross-stream too.)
 */
export const crossCommandSchema = z.discriminatedUnion('type', [
  /**
   * Bind secondary IPs on an attached ENI: `count` addresses picked from the ENI's subnet
   * (lowest free, unclaimed, outside other nodes' quotas) or exactly `ips`.
   */
  cmd('BindIps', {
    eniId: eniIdSchema,
    count: z.number().int().min(1).max(256).optional(),
    ips: z.array(ipv4Schema).min(1).max(256).optional(),
    why: whySchema,
    forPod: z.string().min(3).max(400).optional(),
  }),
  /**
   * Shared mode with a claim (pod policy `Never`, or any pod on an `on-demand` node): the pod's
   * claimed address, or a new claim. May bind first (then the caller retries once bound).
   */
  cmd('AllocateStaticIp', {
    pod: podRefSchema,
    containerId: containerIdSchema,
    policy: z.enum(['Immediate', 'Never']),
    poolPolicy: poolPolicySchema,
  }),
  /** The claimed pod is gone: release the IP, unbind it, retain or delete the claim. */
  cmd('ReleaseStaticIp', {
    containerId: containerIdSchema,
    why: whySchema,
    claimExpiryMs: z.number().int().min(1000).nullable(),
  }),
]);

export type CrossCommand = z.infer<typeof crossCommandSchema>;
export type CrossCommandOf<T extends CrossCommand['type']> = Extract<CrossCommand, { type: T }>;

/** Validates an untyped cross-stream command. */
export const parseCrossCommand = (input: unknown): CrossCommand =>
  parseWith(crossCommandSchema, input, 'InvalidInput', 'cross-stream command');
