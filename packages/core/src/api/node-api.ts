import { z } from 'zod';
import { podRefSchema } from '../values/pod.js';

/**
 * The node-facing ipamd HTTP API (`/v1/nodes/{node}/...`), shared by ipamd (which validates
 * what it receives) and the node agent's client (which validates what it gets back).
 *
 * Response schemas are the agent's, unchanged (same shapes and field names; plain objects, so
 * a newer ipamd may add fields without breaking an older agent). Request schemas are strict:
 * ipamd refuses unknown fields and malformed names with 400 before anything reaches the service.
 * Routes and status codes: packages/ipamd/API.md.
 */
export const ModeSchema = z.enum(['shared', 'exclusive']);
export type Mode = z.infer<typeof ModeSchema>;

const ipv4 = z.ipv4();
const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

/** A pod as ipamd reports it (lenient: the reader accepts what any ipamd version wrote). */
export const PodRefSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().optional(),
});
export type PodRef = z.infer<typeof PodRefSchema>;

/** A container id as the CNI passes it: 1-128 of `[A-Za-z0-9_.-]` (safe in a URL path segment). */
export const ContainerIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'not a container id');

/**
 * `POST /v1/nodes/{node}/allocations`. Idempotent per containerId: a repeated request returns the
 * first allocation. Stricter than the agent's original schema: the pod's namespace and name must
 * be DNS-1123 (label, subdomain), containerId as above, no unknown fields.
 */
export const AllocateRequestSchema = z.strictObject({
  pod: podRefSchema,
  containerId: ContainerIdSchema,
  mode: ModeSchema,
});
export type AllocateRequest = z.infer<typeof AllocateRequestSchema>;

/** `POST /v1/nodes/{node}/acks`: the host reflects every feed event up to `revision`. */
export const AckRequestSchema = z.strictObject({ revision: z.number().int().nonnegative() });
export type AckRequest = z.infer<typeof AckRequestSchema>;

/** The answer to an allocation: what the agent needs to wire the pod. */
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

/** An ENI attached to the node, as the agent configures it. */
export const EniSchema = z.object({
  id: z.string().min(1),
  mac,
  primaryIp: ipv4,
  subnetCidr: z.cidrv4(),
  gateway: ipv4,
  mode: ModeSchema,
});
export type Eni = z.infer<typeof EniSchema>;

/** `GET /v1/nodes/{node}/state`: the node's projection at one log revision. */
export const NodeStateSchema = z.object({
  revision: z.number().int().nonnegative(),
  enis: z.array(EniSchema),
  allocations: z.array(PodAllocationSchema),
});
export type NodeState = z.infer<typeof NodeStateSchema>;

const rev = z.number().int().positive();
/** One line of `GET /v1/nodes/{node}/feed?from=REV` (ndjson), revision > from, in order. */
export const FeedEventSchema = z.discriminatedUnion('type', [
  z.object({ revision: rev, type: z.literal('EniAttached'), eni: EniSchema }),
  z.object({ revision: rev, type: z.literal('EniDetached'), eniId: z.string().min(1) }),
  z.object({ revision: rev, type: z.literal('IpAllocated'), allocation: PodAllocationSchema }),
  z.object({ revision: rev, type: z.literal('IpReleased'), containerId: z.string().min(1) }),
]);
export type FeedEvent = z.infer<typeof FeedEventSchema>;

/** The `from` query parameter of the feed: a non-negative integer revision, decimal. */
export const FeedFromSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'from must be a non-negative integer revision')
  .transform(Number)
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));
