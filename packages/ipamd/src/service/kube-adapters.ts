import {
  type ClaimPolicy,
  type ClusterConfig,
  defaultClusterConfig,
  IpamError,
  type PodRef,
  type VpcApi,
} from '@eni-ipam/core';
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
 * instance and zone). A node is deleted: the machine is gone, so its pods' addresses are released
 * (kept claims are retained) and it drains: the pool reconciler detaches and deletes its ENIs, and
 * `removeIfDrained` removes it once it holds nothing.
 */
export class KubeNodeLifecycle implements NodeLifecycle {
  constructor(private readonly d: KubeAdapterDeps) {}

  async nodeAppeared(name: string, facts: NodeFacts): Promise<void> {
    const s = this.d.host.node(name);
    if (s.status === 'draining') {
      // no way back from draining: registered again once removed (retried at the next resync)
      throw new IpamError('NodeDraining', `node ${name} is still draining after its deletion; registered once empty`, {
        node: name,
      });
    }
    if (s.status === 'active' && s.instanceId === facts.instanceId && s.zone === facts.zone) return;
    await registerNode(this.d, { name, instanceId: facts.instanceId, zone: facts.zone });
    this.d.logger?.info({ node: name, ...facts }, 'node registered');
  }

  async nodeDeleted(name: string): Promise<void> {
    const s = this.d.host.node(name);
    if (s.status !== 'active' && s.status !== 'draining') return;
    if (s.status === 'active') {
      await this.d.commands.node({ type: 'DrainNode', node: name, reason: 'Kubernetes Node deleted' });
      this.d.logger?.info({ node: name }, 'node deleted in Kubernetes: draining (its ENIs are detached and deleted)');
    }
    const why = 'Kubernetes Node deleted';
    const claimExpiryMs = this.d.host.projection.cluster.config?.claimExpiryMs ?? null;
    for (const containerId of Object.keys(s.allocations)) {
      await this.d.commands.node({ type: 'ReleaseIp', node: name, containerId, why, claimExpiryMs });
    }
    for (const containerId of Object.keys(s.assignments)) {
      await this.d.commands.node({ type: 'ReturnEni', node: name, containerId, why });
    }
    await this.removeIfDrained(name);
  }

  /** Removes a draining node that holds nothing any more (no ENI, intent or pod). */
  async removeIfDrained(name: string): Promise<boolean> {
    const s = this.d.host.node(name);
    if (s.status !== 'draining') return false;
    const left =
      Object.keys(s.enis).length +
      Object.keys(s.intents).length +
      Object.keys(s.allocations).length +
      Object.keys(s.assignments).length;
    if (left > 0) return false;
    await this.d.commands.node({
      type: 'RemoveNode',
      node: name,
      reason: 'drained after its Kubernetes Node was deleted',
    });
    this.d.logger?.info({ node: name }, 'node removed: drained');
    return true;
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
    // a newer pod with the same name (a StatefulSet pod recreated): only what the old uid holds goes
    const newer = known !== undefined && known.uid !== pod.uid;
    if (!newer) this.pods.delete(key);
    const mine = (ref: PodRef) =>
      ref.namespace === pod.namespace && ref.name === pod.name && (ref.uid ? ref.uid === pod.uid : !newer);
    const why = 'pod deleted in Kubernetes';
    const { host, commands } = this.d;
    const claimExpiryMs = host.projection.cluster.config?.claimExpiryMs ?? null;
    // normally CNI DEL released it already; this covers a node that never sent it
    for (const s of Object.values(host.projection.nodes)) {
      if (s.status !== 'active' && s.status !== 'draining') continue;
      for (const a of Object.values(s.allocations).filter((x) => mine(x.pod))) {
        await commands.node({ type: 'ReleaseIp', node: s.node, containerId: a.containerId, why, claimExpiryMs });
      }
      for (const a of Object.values(s.assignments).filter((x) => mine(x.pod))) {
        await commands.node({ type: 'ReturnEni', node: s.node, containerId: a.containerId, why });
      }
    }
    if (newer || pod.claimPolicy !== 'Immediate') return;
    // Immediate: a claim kept from an earlier policy goes with the pod
    for (const sub of Object.values(host.projection.subnets)) {
      const c = sub.claims[key];
      if (c?.state === 'retained') {
        await commands.subnet({
          type: 'DeleteClaim',
          subnetId: sub.subnetId,
          pod: c.pod,
          why: `${why}; claim policy Immediate`,
        });
      }
    }
  }

  /** The claim policy for `pod` when it has a stable name (a StatefulSet pod), else undefined. */
  claimPolicyOf(pod: PodRef): ClaimPolicy | undefined {
    const p = this.pods.get(`${pod.namespace}/${pod.name}`);
    if (!p?.statefulSet) return undefined;
    if (pod.uid && p.uid && pod.uid !== p.uid) return undefined;
    return p.claimPolicy;
  }

  /** True when a VPC-CNI pod on `node` asks for a whole ENI (`tke-direct-eni`). */
  hasDirectEniPod(node: string): boolean {
    for (const p of this.pods.values()) if (p.node === node && p.network === 'tke-direct-eni') return true;
    return false;
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
    await applyClusterConfig(this.d, config, 'configmap');
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
