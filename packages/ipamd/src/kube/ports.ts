import type { ClaimPolicy, ClusterConfig, PodNetwork } from '@eni-ipam/core';
import type { SubnetFacts } from '../config/configmap.js';

/** What ipamd learns about a node from its Kubernetes object. */
export interface NodeFacts {
  /** CVM instance id from `spec.providerID` (`ins-...`). */
  instanceId: string;
  /** Availability zone, from the providerID or the `topology.kubernetes.io/zone` label. */
  zone: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * Node intents from the node informer. Called at least once per change of a node and again on
 * each resync, one call at a time per node, in order: implementations must be idempotent (a
 * node already registered with the same facts changes nothing). A rejection is logged and the
 * call is repeated at the next resync.
 */
export interface NodeLifecycle {
  nodeAppeared(name: string, facts: NodeFacts): Promise<void>;
  nodeDeleted(name: string): Promise<void>;
}

/** What ipamd learns about a VPC-CNI pod from its Kubernetes object. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  /** `spec.nodeName`; undefined while the pod is not scheduled. */
  node: string | undefined;
  network: PodNetwork;
  claimPolicy: ClaimPolicy;
  /** The owning StatefulSet (controller owner reference): its pods have stable names. */
  statefulSet: string | undefined;
  /** The pod has a deletionTimestamp: it is going away. */
  terminating: boolean;
  /** `status.phase`. */
  phase: string | undefined;
}

/**
 * Pod intents from the pod informer, for pods that ask for a VPC address (a valid
 * `tke.cloud.tencent.com/networks` annotation). Same delivery contract as NodeLifecycle:
 * at least once, in order per pod, repeated on resync; implementations are idempotent.
 */
export interface PodLifecycle {
  podSeen(pod: PodInfo): Promise<void>;
  /**
   * The pod object is gone. Its claim is kept or dropped by `claimPolicy`. A retried call may
   * come after `podSeen` of a new pod with the same name (a StatefulSet pod recreated): act on
   * `uid`, not on the name alone.
   */
  podDeleted(pod: Pick<PodInfo, 'namespace' | 'name' | 'uid' | 'claimPolicy' | 'statefulSet'>): Promise<void>;
}

/**
 * Where the cluster configuration from ConfigMap `kube-system/tke-eni-ipamd` goes. The
 * ConfigMap sync validates each change with `applyConfigMap` against `current()` and
 * `subnetFacts()`, and hands only accepted, changed configurations to `apply`.
 */
export interface ConfigSink {
  /** The configuration in force. */
  current(): ClusterConfig;
  /**
   * Facts about subnets, for the checks of added and removed subnets. `candidates`: the subnet
   * ids the ConfigMap lists (not validated yet), so an implementation can ask the VPC about
   * them (for example `VpcApi.describeSubnets`) before answering synchronously from the result.
   * A rejection is retried at the next resync.
   */
  subnetFacts(candidates: readonly string[]): SubnetFacts | Promise<SubnetFacts>;
  /** Makes `config` the configuration in force (appends it to the cluster stream). */
  apply(config: ClusterConfig, notes: readonly string[]): Promise<void>;
}
