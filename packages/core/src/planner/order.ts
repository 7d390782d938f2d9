/**
 * Ordering rules of DESIGN 1.1, as pure helpers shared by the planner and the allocation decider.
 * Every helper is deterministic: ties are broken by ENI id, then by IP (numerically), then by
 * subnet id, so replaying the log reproduces every choice.
 */
import type { Ipv4 } from '../ports/vpc-api.js';
import type { PickedIp, PlannerEni, PlannerSubnet, SubnetPick } from './types.js';

/**
 * The value of a strict dotted quad (four runs of 1-3 decimal digits, each at most 255), else -1. A character loop:
 * the pickers compare a node's addresses on every allocation, and split/map allocated 3 arrays per
 * comparison.
 */
const quadValue = (s: string): number => {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return -1;
      acc = acc * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else return -1;
  }
  return dots === 3 && digits > 0 && octet <= 255 ? acc * 256 + octet : -1;
};

/**
 * The general rule of {@link compareIpv4}: `Number` of each dot-separated part (`010` is 10), four
 * integers, else text order. Exported for the property test of the fast path.
 */
export const compareLoose = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4 && [...pa, ...pb].every(Number.isInteger)) {
    for (let i = 0; i < 4; i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
};

/** Numeric order of dotted quads (`10.0.0.9` < `10.0.0.10`); other strings fall back to text order. */
export const compareIpv4 = (a: Ipv4, b: Ipv4): number => {
  const x = quadValue(a);
  const y = quadValue(b);
  // two strict quads (every address of a state): their numeric order, which the general rule gives too
  return x >= 0 && y >= 0 ? x - y : compareLoose(a, b);
};

const byId = (a: PlannerEni, b: PlannerEni): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Secondary IPs held by pods on this ENI. */
export const allocatedIps = (eni: PlannerEni): number => eni.ips.filter((i) => i.allocated).length;

/** Secondary IPs counted as bound on this ENI (`binding` and `bound`; not `unbinding`). */
export const boundIps = (eni: PlannerEni): number => eni.ips.filter((i) => i.status !== 'unbinding').length;

/** A pool ENI: not the node's primary ENI, not handed to or kept for a pod. */
export const isPoolEni = (eni: PlannerEni): boolean =>
  !eni.primary && eni.exclusivePod === undefined && eni.claimedBy === undefined;

/** Idle IPs of an ENI: bound, not held by a pod, in IP order. */
const idleIps = (eni: PlannerEni): Ipv4[] =>
  eni.ips
    .filter((i) => i.status === 'bound' && !i.allocated)
    .map((i) => i.ip)
    .sort(compareIpv4);

/**
 * The IP for a new shared-mode pod: a free bound IP on the attached ENI with the MOST allocated
 * IPs ("least ENI": pack pods on few ENIs so that idle ENIs can be released). Ties: ENI id, then
 * the lowest IP. `undefined` when no attached ENI has a free bound IP.
 *
 * @example pickIpForPod(node.enis) // { eniId: 'eni-b', ip: '10.0.0.7' }
 */
export const pickIpForPod = (enis: readonly PlannerEni[]): PickedIp | undefined => {
  // counted once per ENI, not on every comparison of the sort
  const ranked = enis
    .filter((e) => e.state === 'attached' && isPoolEni(e))
    .map((e) => ({ e, n: allocatedIps(e) }))
    .sort((a, b) => b.n - a.n || byId(a.e, b.e));
  for (const { e } of ranked) {
    const ip = lowestIdleIp(e);
    if (ip !== undefined) return { eniId: e.id, ip };
  }
  return undefined;
};

/** The first of `idleIps(eni)` without sorting them all (the earliest of equals, as the stable sort). */
const lowestIdleIp = (eni: PlannerEni): Ipv4 | undefined => {
  let best: Ipv4 | undefined;
  for (const i of eni.ips)
    if (i.status === 'bound' && !i.allocated && (best === undefined || compareIpv4(i.ip, best) < 0)) best = i.ip;
  return best;
};

/**
 * Up to `n` idle IPs to unbind, idle IPs of the ENI with the FEWEST allocated IPs first (then
 * the ENI with fewer bound IPs, which empties sooner and can then be detached; then ENI id;
 * within an ENI, IP order). Allocated and in-flight IPs are never returned.
 *
 * @example pickIpsToRelease(node.enis, 2) // [{ eniId: 'eni-a', ip: '10.0.0.3' }, ...]
 */
export const pickIpsToRelease = (enis: readonly PlannerEni[], n: number): PickedIp[] => {
  if (n <= 0) return [];
  const ranked = enis
    .filter((e) => e.state !== 'deleting' && isPoolEni(e))
    .sort((a, b) => allocatedIps(a) - allocatedIps(b) || boundIps(a) - boundIps(b) || byId(a, b));
  const picked: PickedIp[] = [];
  for (const eni of ranked) {
    for (const ip of idleIps(eni)) {
      if (picked.length >= n) return picked;
      picked.push({ eniId: eni.id, ip });
    }
  }
  return picked;
};

/**
 * The subnet for a new ENI: among the configured subnets in the node's `zone`, the one with the
 * most free IPs (ties: subnet id). With `needIps` (the on-demand policy passes the ENI's whole
 * IP quota, primary IP included) only subnets that can fully hold it qualify; without it a subnet
 * needs one free IP (the new ENI's primary IP).
 *
 * Refusals: `NoSubnetInZone` ('node has no subnet in its zone') when no configured subnet is in
 * the zone; `SubnetExhausted` ('no subnet can hold the ENI quota' with `needIps`, else 'every
 * subnet in the node's zone is full').
 *
 * @example pickSubnetForNewEni(subnets, 'ap-guangzhou-3', 10)
 */
export const pickSubnetForNewEni = (subnets: readonly PlannerSubnet[], zone: string, needIps?: number): SubnetPick => {
  const inZone = subnets.filter((s) => s.zone === zone);
  if (inZone.length === 0) {
    return { ok: false, refusal: { code: 'NoSubnetInZone', reason: `node has no subnet in its zone (${zone})` } };
  }
  const min = Math.max(1, needIps ?? 1);
  const [best] = inZone
    .filter((s) => s.freeIps >= min)
    .sort((a, b) => b.freeIps - a.freeIps || (a.subnetId < b.subnetId ? -1 : a.subnetId > b.subnetId ? 1 : 0));
  if (best !== undefined) return { ok: true, subnet: best };
  const reason =
    needIps === undefined
      ? `every subnet in the node's zone (${zone}) is full`
      : `no subnet can hold the ENI quota (${min} free IPs needed in zone ${zone})`;
  return { ok: false, refusal: { code: 'SubnetExhausted', reason } };
};

/**
 * The ENI for a new exclusive pod: an attached, unassigned, unclaimed pool ENI none of whose
 * secondary IPs is held by a pod or in flight (the whole ENI moves into the pod's netns: shared
 * pods' addresses would go with it), optionally in `subnetId` (for a pod whose claim lives
 * there). Fewest bound idle IPs first (they sit unused while the pod holds the ENI), then the
 * lowest ENI id. `undefined` when the pool has none available.
 */
export const pickEniForExclusivePod = (enis: readonly PlannerEni[], subnetId?: string): PlannerEni | undefined =>
  enis
    .filter(
      (e) =>
        e.state === 'attached' &&
        isPoolEni(e) &&
        e.ips.every((i) => i.status === 'bound' && !i.allocated) &&
        (subnetId === undefined || e.subnetId === subnetId),
    )
    .sort((a, b) => a.ips.length - b.ips.length || byId(a, b))[0];
