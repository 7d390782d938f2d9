import type { ClusterConfig, VpcApi } from '@eni-ipam/core';
import type { CommandService } from './command-service.js';
import type { ProjectionHost } from './projection-host.js';

/**
 * Applies a cluster configuration: describes the subnets it lists (the decider refuses added
 * subnets that are not empty), appends `ConfigChanged`, and registers each listed subnet's
 * stream (CIDR and zone from the VPC) that is not registered yet. Used by the ConfigMap sync and
 * by tests; a rejected configuration appends nothing and keeps the old one.
 */
export const applyClusterConfig = async (
  deps: { commands: CommandService; host: ProjectionHost; vpc: VpcApi },
  config: ClusterConfig,
  source: string,
): Promise<void> => {
  const described = config.subnets.length ? await deps.vpc.describeSubnets(config.subnets) : [];
  const observedSubnets = described.map((s) => ({
    subnetId: s.subnetId,
    availableIps: s.availableIps,
    totalIps: s.totalIps,
  }));
  await deps.commands.cluster({ type: 'ChangeConfig', config, source, observedSubnets });
  for (const s of described) {
    if (deps.host.subnet(s.subnetId).registered) continue;
    await deps.commands.subnet({
      type: 'RegisterSubnet',
      subnetId: s.subnetId,
      vpcId: s.vpcId,
      cidr: s.cidr,
      zone: s.zone,
    });
  }
};

/** Registers a node with its instance's ENI limits as the VPC reports them. */
export const registerNode = async (
  deps: { commands: CommandService; vpc: VpcApi },
  node: { name: string; instanceId: string; zone: string },
): Promise<void> => {
  const limits = await deps.vpc.describeInstanceLimits(node.instanceId);
  await deps.commands.node({
    type: 'RegisterNode',
    node: node.name,
    instanceId: node.instanceId,
    zone: node.zone,
    limits: { maxEnis: limits.maxEnis, ipsPerEni: limits.ipsPerEni },
  });
};
