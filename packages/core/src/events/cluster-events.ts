import { z } from 'zod';
import { nodeNameSchema, subnetIdSchema } from '../values/ids.js';
import { preBindSchema } from '../values/prebind.js';
import { type EventsOf, events } from './common.js';
import { vpcIdSchema } from './subnet-events.js';

/** `warm`: pre-bind bounds. `on-demand`: nothing pre-bound, quota reserved, bind at pod start. */
export const poolPolicySchema = z.enum(['warm', 'on-demand']);

/** Per-node overrides of the cluster's pool settings. */
export const nodeOverrideSchema = z.strictObject({
  /** Bounds for this node instead of the cluster's. */
  preBind: preBindSchema.optional(),
  /** Pool policy for this node instead of the cluster's. */
  poolPolicy: poolPolicySchema.optional(),
});

/** The whole cluster configuration; each ConfigChanged carries all of it. */
export const clusterConfigSchema = z.strictObject({
  /** `TKE_ENI_IPAMD_VPC_ID`. */
  vpcId: vpcIdSchema,
  /** `TKE_ENI_IPAMD_SUBNET_ID` split on `:`; container subnets, dedicated to eni-ipam. */
  subnets: z.array(subnetIdSchema).max(64),
  /** Warm pool bounds (defaults 5 and 5). */
  preBind: preBindSchema,
  /** Slow release: one idle IP or ENI above pods+max per this many ms (default 2 minutes). */
  releaseIntervalMs: z.number().int().min(1000).max(86_400_000),
  /** `--claim-expired-duration` in ms: a kept claim whose pod is gone expires after it; null = never. */
  claimExpiryMs: z.number().int().min(1000).nullable(),
  /** Cluster pool policy. */
  poolPolicy: poolPolicySchema,
  /** Per-node overrides, by node name. */
  nodeOverrides: z.record(nodeNameSchema, nodeOverrideSchema),
});
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** The events of the `cluster` stream. */
export const clusterEvents = events('cluster', {
  /** The configuration changed (validated first; a bad value never gets here). */
  ConfigChanged: {
    v: 1,
    data: z.strictObject({
      /** The configuration now in force. */
      config: clusterConfigSchema,
      /** Where it came from, e.g. `configmap kube-system/tke-eni-ipamd rv 1234`. */
      source: z.string().min(1).max(500),
    }),
  },
});

/** Every event of the cluster stream. */
export type ClusterEvent = EventsOf<typeof clusterEvents>;
