import { type IpamErrorCode, isIpamError, type PodRef } from '@eni-ipam/core';
import type { KubeEventRecorder } from './event-recorder.js';

/** The Event reason and a plain explanation for an allocation that failed with `code`. */
export interface AddressFailureReason {
  reason: string;
  explanation: string;
}

const REASONS: Partial<Record<IpamErrorCode, AddressFailureReason>> = {
  PoolExhausted: {
    reason: 'VpcIpPoolEmpty',
    explanation: "the node's address pool is empty and is being refilled; the pod is retried",
  },
  SubnetExhausted: {
    reason: 'VpcSubnetExhausted',
    explanation: 'the subnets usable by the node have no free address',
  },
  ClaimInOtherSubnet: {
    reason: 'VpcIpClaimInOtherSubnet',
    explanation: "the pod's static IP claim is in a subnet the node cannot reach (zone or ENI quota)",
  },
  NoSubnetInZone: {
    reason: 'VpcNoSubnetInZone',
    explanation: "no configured subnet is in the node's zone",
  },
};

const OTHER: AddressFailureReason = {
  reason: 'VpcIpAllocationFailed',
  explanation: 'the address could not be allocated',
};

/**
 * Maps an allocation failure to its Event reason (stable, CamelCase, for `kubectl get events
 * --field-selector reason=...`).
 *
 * @example addressFailureReason('PoolExhausted').reason // 'VpcIpPoolEmpty'
 */
export const addressFailureReason = (code: IpamErrorCode | undefined): AddressFailureReason =>
  (code && REASONS[code]) || OTHER;

/**
 * Warning Events on pods that cannot get an address. One series per pod and reason: a pod that
 * keeps failing for the same reason raises the Event's count instead of adding Events.
 */
export class PodEventRecorder {
  constructor(private readonly recorder: KubeEventRecorder) {}

  /** Records why `pod` got no address; `error` is what the allocation threw. Never throws. */
  cannotGetAddress(pod: PodRef, error: unknown): Promise<void> {
    const code = isIpamError(error) ? error.code : undefined;
    const { reason, explanation } = addressFailureReason(code);
    const detail = error instanceof Error ? error.message : String(error);
    return this.recorder.warning(
      { kind: 'Pod', apiVersion: 'v1', namespace: pod.namespace, name: pod.name, uid: pod.uid },
      reason,
      `no VPC IP for the pod: ${explanation} (${detail})`,
    );
  }
}
