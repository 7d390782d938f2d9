import { z } from 'zod';
import { commandMetaShape } from '../decider/command-meta.js';
import type { Decider } from '../decider/decider.js';
import { IpamError } from '../errors.js';
import { type ClusterConfig, type ClusterEvent, clusterConfigSchema } from '../events/cluster-events.js';
import { parseWith } from '../values/parse.js';
import { DEFAULT_PRE_BIND, type PreBindBounds } from '../values/prebind.js';

/** The projected `cluster` stream: the configuration in force (none before the first change). */
export interface ClusterState {
  version: number;
  config: ClusterConfig | undefined;
}

export const initialClusterState = (): ClusterState => ({ version: 0, config: undefined });

/** A subnet as the VPC describes it, for the "added subnets must be empty" check. */
const observedSubnet = z.strictObject({
  subnetId: z.string(),
  availableIps: z.number().int().min(0),
  totalIps: z.number().int().min(0),
});

export const clusterCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ChangeConfig'),
    ...commandMetaShape,
    /** The whole new configuration. */
    config: clusterConfigSchema,
    /** Where it came from (ConfigMap and resource version, a flag...). */
    source: z.string().min(1).max(500),
    /** The subnets the configuration adds, as the VPC describes them now. */
    observedSubnets: z.array(observedSubnet).max(64).default([]),
  }),
]);
export type ClusterCommand = z.input<typeof clusterCommandSchema>;

const sameConfig = (a: ClusterConfig, b: ClusterConfig): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Decides a configuration change. Validated first: malformed subnet ids (`InvalidSubnetId`),
 * inverted or negative bounds (`InvalidPreBindBounds`), anything else `InvalidInput`; a
 * subnet the change adds must be empty in the VPC (container subnets are dedicated):
 * `SubnetNotEmpty`. A rejected change appends nothing, so the old configuration stays.
 */
export const decideCluster = (command: ClusterCommand, s: ClusterState): ClusterEvent[] => {
  const cmd = parseWith(clusterCommandSchema, command, 'InvalidInput', 'configuration');
  const { config } = cmd;
  if (new Set(config.subnets).size !== config.subnets.length) {
    throw new IpamError('InvalidInput', 'a subnet is listed twice', { subnets: config.subnets });
  }
  if (s.config && sameConfig(s.config, config)) return [];
  const before = new Set(s.config?.subnets ?? []);
  for (const id of config.subnets.filter((x) => !before.has(x))) {
    const seen = cmd.observedSubnets.find((o) => o.subnetId === id);
    if (!seen) throw new IpamError('InvalidInput', `added subnet ${id} was not described by the VPC`, { subnetId: id });
    if (seen.availableIps !== seen.totalIps) {
      throw new IpamError(
        'SubnetNotEmpty',
        `added subnet ${id} is not empty (${seen.totalIps - seen.availableIps} IPs in use)`,
        {
          subnetId: id,
        },
      );
    }
  }
  return [{ type: 'ConfigChanged', data: { config, source: cmd.source } }];
};

export const evolveCluster = (s: ClusterState, e: ClusterEvent): ClusterState => ({
  version: s.version + 1,
  config: e.data.config,
});

/** The cluster stream as a Decider. */
export const clusterDecider: Decider<ClusterCommand, ClusterEvent, ClusterState> = {
  decide: decideCluster,
  evolve: evolveCluster,
  initialState: initialClusterState,
};

/** Slow release default: one idle IP or ENI every 2 minutes. */
export const DEFAULT_RELEASE_INTERVAL_MS = 120_000;

/** A configuration with the product defaults for everything but the VPC and subnets. */
export const defaultClusterConfig = (vpcId: string, subnets: string[] = []): ClusterConfig => ({
  vpcId,
  subnets,
  preBind: { ...DEFAULT_PRE_BIND },
  releaseIntervalMs: DEFAULT_RELEASE_INTERVAL_MS,
  claimExpiryMs: null,
  poolPolicy: 'warm',
  nodeOverrides: {},
});

/** ConfigMap `kube-system/tke-eni-ipamd` keys (TKE compatible). */
export const CONFIGMAP_KEYS = {
  subnets: 'TKE_ENI_IPAMD_SUBNET_ID',
  vpcId: 'TKE_ENI_IPAMD_VPC_ID',
  /** Ignored, as in the product: each subnet's zone comes from the VPC. */
  zone: 'TKE_ENI_IPAMD_ZONE',
} as const;

/**
 * The configuration a TKE ConfigMap asks for, on top of `base` (which keeps the knobs the
 * ConfigMap does not carry). Subnet ids are separated by `:`; empty parts are ignored.
 * Validated like any change (`InvalidSubnetId` names the bad id).
 *
 * @example configFromConfigMap({ TKE_ENI_IPAMD_SUBNET_ID: 'subnet-aaaa1111:subnet-bbbb2222',
 *   TKE_ENI_IPAMD_VPC_ID: 'vpc-12345678' }, defaults)
 */
export const configFromConfigMap = (data: Readonly<Record<string, string>>, base: ClusterConfig): ClusterConfig => {
  const subnets = (data[CONFIGMAP_KEYS.subnets] ?? base.subnets.join(':'))
    .split(':')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  const vpcId = (data[CONFIGMAP_KEYS.vpcId] ?? base.vpcId).trim();
  return parseWith(clusterConfigSchema, { ...base, subnets, vpcId }, 'InvalidInput', 'ConfigMap tke-eni-ipamd');
};

/** Pool settings of one node: the cluster's, with the node's overrides applied. */
export interface NodePoolSettings {
  preBind: PreBindBounds;
  poolPolicy: ClusterConfig['poolPolicy'];
  releaseIntervalMs: number;
}

export const nodePoolSettings = (config: ClusterConfig, node: string): NodePoolSettings => {
  const o = config.nodeOverrides[node];
  return {
    preBind: o?.preBind ?? config.preBind,
    poolPolicy: o?.poolPolicy ?? config.poolPolicy,
    releaseIntervalMs: config.releaseIntervalMs,
  };
};
