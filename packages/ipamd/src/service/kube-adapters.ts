import { type ClaimPolicy, type ClusterConfig, defaultClusterConfig, type PodRef, type VpcApi } from '@eni-ipam/core';
import type { Logger } from 'pino';
import type { SubnetFacts } from '../config/configmap.js';
import type { ConfigSink, NodeFacts, NodeLifecycle, PodInfo, PodLifecycle } from '../kube/ports.js';
import { applyClusterConfig, registerNode } from './cluster-setup.js';
import type { CommandService } from './command-service.js';
import type { ProjectionHost } from './projection-host.js';

/** The knobs that come from ipamd's flags (the ConfigMap carries only the VPC and the subnets). */
export type FlagSettings = Pick<ClusterConfig, 'preBind' | 'releaseIntervalMs' | 'claimExpiryMs' | 'poolPolicy'>;

export interface KubeAdapterDeps {
  commands: CommandService;
  host: ProjectionHost;
  vpc: VpcApi;
  /** Settings from the flags: the base of the cluster configuration. */
  flags: FlagSettings;
  logger?: Logger;
}

/**
 * The configuration in force: the cluster stream's, or (none yet) the flags' settings with no
 * VPC and no subnet, which the first ConfigMap completes.
 */
export const configInForce = (host: ProjectionHost, flags: FlagSettings): ClusterConfig =>
  host.projection.cluster.config ?? { ...defaultClusterConfig(''), ...flags };

/**
 * Nodes from Kubernetes -> node streams. A node appears: registered with its instance's ENI
 * limits from the VPC (nothing is asked of the VPC when it is already registered with the same
 * instance and zone). A node is deleted: it drains (the pool reconciler detaches and deletes its
 * ENIs; `NodeRemover` removes it once empty).
 */
export class KubeNodeLifecycle implements NodeLifecycle {
  constructor(private readonly d: KubeAdapterDeps) {}

  async nodeAppeared(name: string, facts: NodeFacts): Promise<void> {
    const s = this.d.host.node(name);
    if (
      (s.status === 'active' || s.status === 'draining') &&
      s.instanceId === facts.instanceId &&
      s.zone === facts.zone
    )
      return;
    await registerNode(this.d, { name, instanceId: facts.instanceId, zone: facts.zone });
    this.d.logger?.info({ node: name, ...facts }, 'node registered');
  }

  async nodeDeleted(name: string): Promise<void> {
    const s = this.d.host.node(name);
    if (s.status !== 'active') return;
    await this.d.commands.node({ type: 'DrainNode', node: name, reason: 'Kubernetes Node deleted' });
    this.d.logger?.info({ node: name }, 'node deleted in Kubernetes: draining (its ENIs are detached and deleted)');
  }
}

/**
 * Pods from Kubernetes. Keeps the VPC-CNI pods it has seen (by `namespace/name`, with their uid)
 * so the allocation path knows each pod's claim policy; StatefulSet pods (stable names) get
 * static claims. A deleted pod with a kept claim: with `Immediate` the claim is dropped at once,
 * with `Never` it is kept (and expires after `--claim-expired-duration`).
 */
export class KubePodLifecycle implements PodLifecycle {
  private readonly pods = new Map<string, PodInfo>();

  constructor(private readonly d: KubeAdapterDeps) {}

  async podSeen(pod: PodInfo): Promise<void> {
    this.pods.set(`${pod.namespace}/${pod.name}`, pod);
  }

  async podDeleted(pod: Pick<PodInfo, 'namespace' | 'name' | 'uid' | 'claimPolicy' | 'statefulSet'>): Promise<void> {
    const key = `${pod.namespace}/${pod.name}`;
    const known = this.pods.get(key);
    // a newer pod with the same name (a StatefulSet pod recreated) keeps its entry
    if (known && known.uid !== pod.uid) return;
    this.pods.delete(key);
  }

  /** The claim policy for `pod` when it has a stable name (a StatefulSet pod), else undefined. */
  claimPolicyOf(pod: PodRef): ClaimPolicy | undefined {
    const p = this.pods.get(`${pod.namespace}/${pod.name}`);
    if (!p?.statefulSet) return undefined;
    if (pod.uid && p.uid && pod.uid !== p.uid) return undefined;
    return p.claimPolicy;
  }

  /** The pod as last seen, for Events. */
  get(namespace: string, name: string): PodInfo | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }
}

/**
 * ConfigMap -> cluster stream. `current()` is the configuration in force (see `configInForce`);
 * subnet facts come from the VPC (`describeSubnets`) and the subnet streams; `apply` goes
 * through `applyClusterConfig` (registers the new subnets' streams).
 */
export class KubeConfigSink implements ConfigSink {
  constructor(private readonly d: KubeAdapterDeps) {}

  current(): ClusterConfig {
    return configInForce(this.d.host, this.d.flags);
  }

  async subnetFacts(candidates: readonly string[]): Promise<SubnetFacts> {
    const described = new Map<string, { availableIps: number; totalIps: number }>();
    await Promise.all(
      candidates.map(async (id) => {
        try {
          for (const s of await this.d.vpc.describeSubnets([id])) described.set(s.subnetId, s);
        } catch (err) {
          this.d.logger?.warn({ subnetId: id, err }, 'cannot describe subnet');
        }
      }),
    );
    const host = this.d.host;
    return {
      boundIps: (id) => Object.values(host.subnet(id).addresses).filter((a) => a.status !== 'primary').length,
      isEmptyInVpc: (id) => {
        const s = described.get(id);
        return s === undefined ? undefined : s.availableIps === s.totalIps;
      },
    };
  }

  async apply(config: ClusterConfig, notes: readonly string[]): Promise<void> {
    await applyClusterConfig(this.d, config, 'configmap kube-system/tke-eni-ipamd');
    this.d.logger?.info({ subnets: config.subnets, vpcId: config.vpcId, notes }, 'cluster configuration applied');
  }
}

/**
 * Writes the flags' settings to the cluster stream when the configuration in force (already in
 * the stream) has other values: the flags win over what an earlier run wrote. With no
 * configuration in the stream yet nothing is written (a configuration needs the VPC, which the
 * ConfigMap gives); the ConfigSink starts from the flags' settings then.
 */
export const reconcileFlagSettings = async (d: KubeAdapterDeps): Promise<boolean> => {
  const inForce = d.host.projection.cluster.config;
  if (!inForce) return false;
  const next: ClusterConfig = { ...inForce, ...d.flags };
  if (JSON.stringify(next) === JSON.stringify(inForce)) return false;
  await applyClusterConfig(d, next, 'flags');
  d.logger?.info({ settings: d.flags }, 'cluster configuration updated from the flags');
  return true;
};
