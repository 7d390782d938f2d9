import { z } from 'zod';
import { EniSchema, ModeSchema, PodAllocationSchema } from './node-api.js';

/**
 * Read-only views for ipamctl and operators (`GET /v1/nodes`, `/v1/nodes/{node}`, `/v1/enis`,
 * `/v1/claims`), answered from the projections of the replica asked (a follower may lag the
 * leader by its log lag; `revision` says how far each view is).
 */
export const PoolPolicySchema = z.enum(['warm', 'on-demand']);

/** One node's pool at a glance. */
export const NodeSummarySchema = z.object({
  name: z.string().min(1),
  /** Availability zone of the instance, when known. */
  zone: z.string().optional(),
  poolPolicy: PoolPolicySchema,
  /** ENIs attached to the node (primary excluded). */
  enis: z.number().int().nonnegative(),
  /** Secondary IPs (shared) or ENIs (exclusive) bound to the node. */
  bound: z.number().int().nonnegative(),
  /** Of those, held by pods. */
  allocated: z.number().int().nonnegative(),
  /** Max bindable (the node's extended resource capacity). */
  capacity: z.number().int().nonnegative(),
  draining: z.boolean(),
  /** Last feed revision the node's agent acknowledged; absent before the first ack. */
  ackedRevision: z.number().int().nonnegative().optional(),
});
export type NodeSummary = z.infer<typeof NodeSummarySchema>;

export const NodeListSchema = z.object({
  revision: z.number().int().nonnegative(),
  nodes: z.array(NodeSummarySchema),
});
export type NodeList = z.infer<typeof NodeListSchema>;

/** `GET /v1/nodes/{node}`: the summary plus the node's ENIs and allocations. */
export const NodeDetailSchema = NodeSummarySchema.extend({
  revision: z.number().int().nonnegative(),
  eniList: z.array(EniSchema),
  allocations: z.array(PodAllocationSchema),
});
export type NodeDetail = z.infer<typeof NodeDetailSchema>;

/** An ENI with its owner and bound addresses. */
export const EniViewSchema = z.object({
  id: z.string().min(1),
  node: z.string().min(1).optional(),
  subnetId: z.string().min(1),
  mode: ModeSchema,
  /** `attached`, `detached`, or an operation in flight (`creating`, `attaching`, ...). */
  status: z.string().min(1),
  primaryIp: z.ipv4().optional(),
  ips: z.array(z.ipv4()),
});
export type EniView = z.infer<typeof EniViewSchema>;

export const EniListSchema = z.object({ revision: z.number().int().nonnegative(), enis: z.array(EniViewSchema) });
export type EniList = z.infer<typeof EniListSchema>;

/** A static IP claim: pod name -> address. */
export const ClaimViewSchema = z.object({
  /** `namespace/name`. */
  pod: z.string().min(1),
  ip: z.ipv4(),
  subnetId: z.string().min(1),
  policy: z.enum(['Immediate', 'Never']),
  /** The node the address is bound on now; absent while the pod is gone. */
  node: z.string().min(1).optional(),
  /** When the claim expires (ISO 8601), for a kept claim whose pod is gone. */
  expiresAt: z.string().optional(),
});
export type ClaimView = z.infer<typeof ClaimViewSchema>;

export const ClaimListSchema = z.object({
  revision: z.number().int().nonnegative(),
  claims: z.array(ClaimViewSchema),
});
export type ClaimList = z.infer<typeof ClaimListSchema>;

/** `/healthz` and `/readyz` bodies. */
export const ProbeSchema = z.object({
  ok: z.boolean(),
  /** For readiness: the checks that failed, with a reason each. */
  checks: z.record(z.string(), z.string()).optional(),
});
export type Probe = z.infer<typeof ProbeSchema>;
