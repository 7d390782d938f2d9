import { isIpamError, parsePodAnnotations } from '@eni-ipam/core';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodInfo } from './ports.js';

export type PodInfoResult =
  /** Not a VPC-CNI pod (no networks annotation): not ours. */
  | { kind: 'ignored' }
  /** Asks for VPC-CNI with annotations we cannot honour: a Warning, no allocation. */
  | { kind: 'invalid'; reason: string }
  | { kind: 'pod'; info: PodInfo };

/**
 * Reads what ipamd needs from a pod. The annotations are read by core's `parsePodAnnotations`
 * (exact values, as the product). Pure.
 *
 * @example podInfo(pod) // { kind: 'pod', info: { namespace, name, uid, node, network: 'tke-route-eni', claimPolicy: 'Immediate', ... } }
 */
export const podInfo = (pod: V1Pod): PodInfoResult => {
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!namespace || !name) return { kind: 'ignored' };
  let request: ReturnType<typeof parsePodAnnotations>;
  try {
    request = parsePodAnnotations(pod.metadata?.annotations);
  } catch (e) {
    if (!isIpamError(e, 'InvalidAnnotation')) throw e;
    return { kind: 'invalid', reason: e.message };
  }
  if (!request.network) return { kind: 'ignored' };
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'StatefulSet');
  return {
    kind: 'pod',
    info: {
      namespace,
      name,
      uid: pod.metadata?.uid ?? '',
      node: pod.spec?.nodeName || undefined,
      network: request.network,
      claimPolicy: request.claimPolicy,
      statefulSet: owner?.name,
      terminating: Boolean(pod.metadata?.deletionTimestamp),
      phase: pod.status?.phase,
    },
  };
};
