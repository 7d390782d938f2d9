import type { NodeState } from '../node/state.js';
import { maxBindableIps, maxExclusiveEnis } from '../planner/limits.js';
import { compareIps } from '../values/ipv4.js';
import { podKey } from '../values/pod.js';

/** Extended resource of shared-mode pods. */
export const ENI_IP_RESOURCE = 'tke.cloud.tencent.com/eni-ip';
/** Extended resource of exclusive-mode pods. */
export const DIRECT_ENI_RESOURCE = 'tke.cloud.tencent.com/direct-eni';

export interface NodePoolIpView {
  ip: string;
  status: 'binding' | 'bound' | 'unbinding';
  /** `namespace/name` of the pod holding it. */
  pod?: string;
  containerId?: string;
  /** `namespace/name` it is held for (claim). */
  reservedFor?: string;
}

export interface NodePoolEniView {
  eniId: string;
  subnetId: string;
  state: string;
  primaryIp: string;
  mac: string;
  deviceIndex?: number;
  /** Exclusive mode: the pod it is assigned to. */
  assignedTo?: string;
  ips: NodePoolIpView[];
}

/** Capacity and allocatable of one extended resource, as the node's status advertises them. */
export interface ResourceAmount {
  capacity: number;
  allocatable: number;
}

/** The node pool as ipamd, ipamctl and the node status show it. */
export interface NodePoolView {
  node: string;
  zone: string;
  status: NodeState['status'];
  limits: NodeState['limits'];
  enis: NodePoolEniView[];
  counts: {
    /** Secondary IPs bound (in effect). */
    bound: number;
    binding: number;
    unbinding: number;
    /** Held by pods. */
    allocated: number;
    /** Bound, not held by a pod and not held for a claim: what a new pod can get now. */
    free: number;
    /** Pods with a whole ENI. */
    exclusivePods: number;
  };
  /**
   * Extended resources:
   * - `eni-ip`: capacity = `maxBindableIps(limits)` = (maxEnis - 1) x (ipsPerEni - 1) (the primary
   *   ENI and every ENI's primary IP carry no pod IPs); allocatable = secondary IPs bound now.
   * - `direct-eni`: capacity = maxEnis - 1; allocatable = attached ENIs without secondary IPs
   *   (whole ENIs a pod can take or holds).
   * A node whose zone has no configured subnet advertises 0 for both and says why in `reason`.
   */
  resources: Record<typeof ENI_IP_RESOURCE | typeof DIRECT_ENI_RESOURCE, ResourceAmount>;
  /** Why capacity is 0 (no subnet in the node's zone), if it is. */
  reason?: string;
}

/**
 * Projects a node's state into its pool view. `subnetZones`: the zones of the configured
 * subnets (from the subnet streams); a node outside all of them gets capacity 0.
 */
export const nodePoolView = (s: NodeState, subnetZones: readonly string[]): NodePoolView => {
  const byIp = new Map(Object.values(s.allocations).map((a) => [a.ip, a]));
  const byEni = new Map(Object.values(s.assignments).map((a) => [a.eniId, a]));
  const enis = Object.values(s.enis)
    .sort((a, b) => (a.eniId < b.eniId ? -1 : 1))
    .map((e): NodePoolEniView => {
      const v: NodePoolEniView = {
        eniId: e.eniId,
        subnetId: e.subnetId,
        state: e.state,
        primaryIp: e.primaryIp,
        mac: e.mac,
        ips: Object.values(e.ips)
          .sort((a, b) => compareIps(a.ip, b.ip))
          .map((i) => {
            const a = byIp.get(i.ip);
            const out: NodePoolIpView = { ip: i.ip, status: i.status };
            if (a) Object.assign(out, { pod: podKey(a.pod), containerId: a.containerId });
            if (i.reservedFor) out.reservedFor = i.reservedFor;
            return out;
          }),
      };
      if (e.deviceIndex !== undefined) v.deviceIndex = e.deviceIndex;
      const asg = byEni.get(e.eniId);
      if (asg) v.assignedTo = podKey(asg.pod);
      return v;
    });
  const ips = enis.flatMap((e) => e.ips);
  const bound = ips.filter((i) => i.status === 'bound').length;
  const counts = {
    bound,
    binding: ips.filter((i) => i.status === 'binding').length,
    unbinding: ips.filter((i) => i.status === 'unbinding').length,
    allocated: byIp.size,
    free: ips.filter((i) => i.status === 'bound' && !i.pod && !i.reservedFor).length,
    exclusivePods: byEni.size,
  };
  const inZone = subnetZones.includes(s.zone);
  const live = s.status === 'active' || s.status === 'draining';
  const wholeEnis = Object.values(s.enis).filter(
    (e) => e.state === 'attached' && Object.keys(e.ips).length === 0,
  ).length;
  const view: NodePoolView = {
    node: s.node,
    zone: s.zone,
    status: s.status,
    limits: s.limits,
    enis,
    counts,
    resources: {
      [ENI_IP_RESOURCE]: { capacity: inZone && live ? maxBindableIps(s.limits) : 0, allocatable: inZone ? bound : 0 },
      [DIRECT_ENI_RESOURCE]: {
        capacity: inZone && live ? maxExclusiveEnis(s.limits) : 0,
        allocatable: inZone ? wholeEnis : 0,
      },
    },
  };
  if (!inZone) view.reason = `no configured subnet in the node's zone ${s.zone}`;
  return view;
};
