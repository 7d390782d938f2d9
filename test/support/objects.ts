/**
 * Builders for the Kubernetes objects the IPAM meets, shaped as a TKE cluster shows them.
 * Plain JSON: hand them to the fake apiserver's `create` or to client-node's `create*` calls.
 */
import { createHash } from 'node:crypto';
import type { V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';

/** The extended resource a shared-ENI pod requests, and the node advertises. */
export const ENI_IP_RESOURCE = 'tke.cloud.tencent.com/eni-ip';
/** The extended resource an exclusive-ENI pod requests. */
export const DIRECT_ENI_RESOURCE = 'tke.cloud.tencent.com/direct-eni';
/** The pod annotation choosing the network: `tke-route-eni` (shared) or `tke-direct-eni` (exclusive). */
export const NETWORKS_ANNOTATION = 'tke.cloud.tencent.com/networks';

/** A stable CVM instance id for a node name: `ins-` and 8 lowercase letters or digits. */
export const instanceIdFor = (nodeName: string): string =>
  `ins-${BigInt(`0x${createHash('sha256').update(nodeName).digest('hex').slice(0, 12)}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8)}`;

export type NodeOptions = {
  /** Availability zone, such as `ap-guangzhou-3`. */
  zone: string;
  /** Default `qcloud:///<zone>/<instanceIdFor(name)>`. */
  providerID?: string;
  /** Default 10.0.0.x derived from the name. */
  internalIP?: string;
  labels?: Record<string, string>;
  /** Extra status.capacity entries (also put in allocatable). */
  capacity?: Record<string, string>;
  ready?: boolean;
};

/**
 * A Ready node of a TKE cluster.
 *
 * @example makeNode('10.0.0.12', { zone: 'ap-guangzhou-3' })
 */
export const makeNode = (name: string, options: NodeOptions): V1Node & { metadata: { name: string } } => {
  const resources = { cpu: '4', memory: '8Gi', pods: '61', ...options.capacity };
  const lastOctet = (Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 4), 16) % 250) + 2;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'topology.kubernetes.io/zone': options.zone,
        'failure-domain.beta.kubernetes.io/zone': options.zone,
        ...options.labels,
      },
    },
    spec: { providerID: options.providerID ?? `qcloud:///${options.zone}/${instanceIdFor(name)}` },
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      addresses: [
        { type: 'InternalIP', address: options.internalIP ?? `10.0.0.${lastOctet}` },
        { type: 'Hostname', address: name },
      ],
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', reason: 'KubeletReady' }],
    },
  };
};

export type PodOptions = {
  /** spec.nodeName; absent for a pod not yet scheduled. */
  node?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  /** The owning StatefulSet: a name, or a name and uid (from the created StatefulSet). */
  ownerStatefulSet?: string | { name: string; uid?: string };
  /** Requests `tke.cloud.tencent.com/eni-ip: 1` (the default) or `direct-eni: 1`, or no ENI resource. */
  eni?: 'shared' | 'direct' | 'none';
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  podIP?: string;
};

/**
 * A pod asking for a VPC address, optionally scheduled and owned by a StatefulSet.
 *
 * @example makePod('default', 'web-0', { node: 'n1', ownerStatefulSet: 'web' })
 */
export const makePod = (
  namespace: string,
  name: string,
  options: PodOptions = {},
): V1Pod & { metadata: { name: string; namespace: string } } => {
  const eni = options.eni ?? 'shared';
  const resource = eni === 'shared' ? ENI_IP_RESOURCE : eni === 'direct' ? DIRECT_ENI_RESOURCE : undefined;
  const owner =
    typeof options.ownerStatefulSet === 'string' ? { name: options.ownerStatefulSet } : options.ownerStatefulSet;
  const networks = eni === 'direct' ? 'tke-direct-eni' : 'tke-route-eni';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: {
        ...(owner ? { 'statefulset.kubernetes.io/pod-name': name } : {}),
        ...options.labels,
      },
      annotations: { ...(resource ? { [NETWORKS_ANNOTATION]: networks } : {}), ...options.annotations },
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'StatefulSet',
                name: owner.name,
                uid: owner.uid ?? `uid-of-statefulset-${owner.name}`,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(options.node ? { nodeName: options.node } : {}),
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          ...(resource ? { resources: { requests: { [resource]: '1' }, limits: { [resource]: '1' } } } : {}),
        },
      ],
    },
    status: {
      phase: options.phase ?? 'Pending',
      ...(options.podIP ? { podIP: options.podIP, podIPs: [{ ip: options.podIP }] } : {}),
    },
  };
};

/** A StatefulSet whose pods are `<name>-0` .. `<name>-(replicas-1)`. */
export const makeStatefulSet = (
  namespace: string,
  name: string,
  options: { replicas?: number; annotations?: Record<string, string> } = {},
): V1StatefulSet & { metadata: { name: string; namespace: string } } => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace, ...(options.annotations ? { annotations: options.annotations } : {}) },
  spec: {
    replicas: options.replicas ?? 1,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations: { [NETWORKS_ANNOTATION]: 'tke-route-eni' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    },
  },
});
