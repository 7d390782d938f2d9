import { z } from 'zod';

/**
 * The node-facing ipamd API (documented in packages/node-dataplane/API.md). Every body that
 * crosses the wire is validated with these schemas on the agent side.
 */
export const ModeSchema = z.enum(['shared', 'exclusive']);
export type Mode = z.infer<typeof ModeSchema>;

const ipv4 = z.ipv4();
const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

export const PodRefSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().optional(),
});
export type PodRef = z.infer<typeof PodRefSchema>;

export const AllocateRequestSchema = z.object({ pod: PodRefSchema, containerId: z.string().min(1), mode: ModeSchema });
export type AllocateRequest = z.infer<typeof AllocateRequestSchema>;

export const AllocationSchema = z.object({
  ip: ipv4,
  eniId: z.string().min(1),
  eniMac: mac,
  gateway: ipv4,
  subnetCidr: z.cidrv4(),
  /** Only when ipamd knows the node's table numbering; the agent computes it otherwise. */
  routeTable: z.number().int().positive().optional(),
});
export type Allocation = z.infer<typeof AllocationSchema>;

export const PodAllocationSchema = AllocationSchema.extend({
  containerId: z.string().min(1),
  pod: PodRefSchema,
  mode: ModeSchema,
});
export type PodAllocation = z.infer<typeof PodAllocationSchema>;

export const EniSchema = z.object({
  id: z.string().min(1),
  mac,
  primaryIp: ipv4,
  subnetCidr: z.cidrv4(),
  gateway: ipv4,
  mode: ModeSchema,
});
export type Eni = z.infer<typeof EniSchema>;

export const NodeStateSchema = z.object({
  revision: z.number().int().nonnegative(),
  enis: z.array(EniSchema),
  allocations: z.array(PodAllocationSchema),
});
export type NodeState = z.infer<typeof NodeStateSchema>;

const rev = z.number().int().positive();
export const FeedEventSchema = z.discriminatedUnion('type', [
  z.object({ revision: rev, type: z.literal('EniAttached'), eni: EniSchema }),
  z.object({ revision: rev, type: z.literal('EniDetached'), eniId: z.string().min(1) }),
  z.object({ revision: rev, type: z.literal('IpAllocated'), allocation: PodAllocationSchema }),
  z.object({ revision: rev, type: z.literal('IpReleased'), containerId: z.string().min(1) }),
]);
export type FeedEvent = z.infer<typeof FeedEventSchema>;

export const ApiErrorSchema = z.object({ code: z.string(), message: z.string() });
