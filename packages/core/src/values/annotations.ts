import { IpamError } from '../errors.js';

/** Pod annotation choosing the VPC-CNI mode. */
export const NETWORKS_ANNOTATION = 'tke.cloud.tencent.com/networks';
/** Pod annotation choosing what happens to a static IP claim when the pod goes away. */
export const CLAIM_POLICY_ANNOTATION = 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy';

/** `tke-route-eni`: a secondary IP on a shared ENI. `tke-direct-eni`: a whole ENI. */
export type PodNetwork = 'tke-route-eni' | 'tke-direct-eni';
/** `Immediate` (default): the claim goes with the pod. `Never`: kept until deleted or expired. */
export type ClaimPolicy = 'Immediate' | 'Never';

export const POD_NETWORKS: readonly PodNetwork[] = ['tke-route-eni', 'tke-direct-eni'];
export const CLAIM_POLICIES: readonly ClaimPolicy[] = ['Immediate', 'Never'];

/** What eni-ipam reads from a pod's annotations. */
export interface PodNetworkRequest {
  /** The mode asked for; undefined when the pod does not use VPC-CNI (not ours to serve). */
  network: PodNetwork | undefined;
  /** The claim policy; `Immediate` when the annotation is absent. */
  claimPolicy: ClaimPolicy;
  /** True when the pod set the claim policy annotation explicitly. */
  claimPolicyExplicit: boolean;
}

/**
 * Reads the VPC-CNI annotations of a pod. Values are matched exactly (as the product does);
 * anything else is refused so the pod gets a Warning event and no allocation.
 *
 * @example parsePodAnnotations({ 'tke.cloud.tencent.com/networks': 'tke-route-eni' })
 *   // { network: 'tke-route-eni', claimPolicy: 'Immediate', claimPolicyExplicit: false }
 * @throws IpamError('InvalidAnnotation') naming the annotation and the value.
 */
export const parsePodAnnotations = (annotations: Readonly<Record<string, string>> | undefined): PodNetworkRequest => {
  const a = annotations ?? {};
  const network = a[NETWORKS_ANNOTATION];
  const policy = a[CLAIM_POLICY_ANNOTATION];
  if (network !== undefined && !POD_NETWORKS.includes(network as PodNetwork)) {
    throw new IpamError(
      'InvalidAnnotation',
      `unknown ${NETWORKS_ANNOTATION} value ${JSON.stringify(network)} (expected ${POD_NETWORKS.join(' or ')})`,
      { annotation: NETWORKS_ANNOTATION, value: network },
    );
  }
  if (policy !== undefined && !CLAIM_POLICIES.includes(policy as ClaimPolicy)) {
    throw new IpamError(
      'InvalidAnnotation',
      `unknown ${CLAIM_POLICY_ANNOTATION} value ${JSON.stringify(policy)} (expected Immediate or Never)`,
      { annotation: CLAIM_POLICY_ANNOTATION, value: policy },
    );
  }
  return {
    network: network as PodNetwork | undefined,
    claimPolicy: (policy as ClaimPolicy | undefined) ?? 'Immediate',
    claimPolicyExplicit: policy !== undefined,
  };
};
