import type { ClaimPolicy } from '../values/annotations.js';
import { parseCidr, usableAddresses, usableAddressesDescending, usableCount } from '../values/cidr.js';
import { type Ipv4, ipToInt } from '../values/ipv4.js';
import type { PodRef } from '../values/pod.js';

/** A taken address (free addresses are not stored). */
export interface TakenAddress {
  /** `reserved`: a bind is in flight. `bound`: a secondary IP. `primary`: an ENI's primary IP. */
  status: 'reserved' | 'bound' | 'primary';
  node: string;
  eniId: string;
  /** The bind intent (reserved and bound secondaries). */
  intentId?: string;
}

/** A static IP claim: this pod name gets this address. */
export interface Claim {
  pod: PodRef;
  ip: Ipv4;
  policy: ClaimPolicy;
  /** Node of the pod (last known). */
  node: string;
  /** `active`: its pod exists. `retained`: pod gone, kept (policy Never) until `expiresAt`. */
  state: 'active' | 'retained';
  /** ISO expiry of a retained claim; absent = kept until deleted. */
  expiresAt?: string;
}

/** The projected state of one `subnet/<id>` stream (plain JSON). */
export interface SubnetState {
  version: number;
  registered: boolean;
  subnetId: string;
  vpcId: string;
  /** CIDR text; empty until registered. */
  cidr: string;
  zone: string;
  addresses: Readonly<Record<Ipv4, TakenAddress>>;
  /** Addresses held back per node (on-demand pool policy). */
  quotas: Readonly<Record<string, number>>;
  /** Claims by `namespace/name`. */
  claims: Readonly<Record<string, Claim>>;
}

export const initialSubnetState = (): SubnetState => ({
  version: 0,
  registered: false,
  subnetId: '',
  vpcId: '',
  cidr: '',
  zone: '',
  addresses: {},
  quotas: {},
  claims: {},
});

/** The claim holding `ip`, if any. */
export const claimOfIp = (s: SubnetState, ip: Ipv4): Claim | undefined =>
  Object.values(s.claims).find((c) => c.ip === ip);

const claimedFree = (s: SubnetState): number => Object.values(s.claims).filter((c) => !s.addresses[c.ip]).length;

interface AddressCounts {
  taken: number;
  /** Secondary addresses (reserved or bound) per node. */
  held: Map<string, number>;
  /**
   * Where the search for free addresses starts (as a number): every usable address below it is in
   * the map. Binds take the lowest free addresses, so the taken ones pack the bottom of the block
   * and a search from its start walked past all of them for every bind (see `pickFreeAddresses`).
   */
  firstFree?: number;
}

/**
 * Counts of a subnet's taken addresses, once per address map. A map changed in place (only by
 * the fold that owns it) updates its counts through `noteAddressChange`; any other change makes a
 * new map, so the counts of one stay true. Counting on every call made the planner
 * view of a node cost (nodes with quotas) x (taken addresses) and the decisions of a large subnet
 * scan it several times each.
 */
const countsCache = new WeakMap<object, AddressCounts>();
const addressCounts = (s: SubnetState): AddressCounts => {
  let c = countsCache.get(s.addresses);
  if (c) return c;
  c = { taken: 0, held: new Map() };
  for (const ip in s.addresses) {
    c.taken++;
    const a = s.addresses[ip] as TakenAddress;
    if (a.status !== 'primary') c.held.set(a.node, (c.held.get(a.node) ?? 0) + 1);
  }
  countsCache.set(s.addresses, c);
  return c;
};

/**
 * Keeps the counts of an address map true when a fold changes the map in place (an owned map, see
 * `evolveSubnetOwned`): `before` and `after` are the entry of one address before and after.
 */
export const noteAddressChange = (
  addresses: object,
  ip: Ipv4,
  before: TakenAddress | undefined,
  after: TakenAddress | undefined,
): void => {
  const c = countsCache.get(addresses);
  if (!c) return;
  // a freed address below the search start moves the start down to it
  if (before && !after && c.firstFree !== undefined) c.firstFree = Math.min(c.firstFree, ipToInt(ip));
  if (before) {
    c.taken--;
    if (before.status !== 'primary') c.held.set(before.node, (c.held.get(before.node) ?? 0) - 1);
  }
  if (after) {
    c.taken++;
    if (after.status !== 'primary') c.held.set(after.node, (c.held.get(after.node) ?? 0) + 1);
  }
};

/** Secondary addresses a node holds here (reserved or bound). */
export const heldBy = (s: SubnetState, node: string): number => addressCounts(s).held.get(node) ?? 0;

/** Free addresses nobody claims (before quotas). */
export const freeUnclaimed = (s: SubnetState): number =>
  s.registered ? usableCount(parseCidr(s.cidr)) - addressCounts(s).taken - claimedFree(s) : 0;

/**
 * Addresses `node` may take for new binds: free, unclaimed, and not held back by other nodes'
 * outstanding quotas (a quota minus what its node already holds). This is the `freeIps` the
 * planner sees for this node.
 */
export const availableFor = (s: SubnetState, node: string): number => {
  let held = 0;
  for (const [n, q] of Object.entries(s.quotas)) if (n !== node) held += Math.max(0, q - heldBy(s, n));
  return Math.max(0, freeUnclaimed(s) - held);
};

/**
 * The address a new ENI asks for as its primary: the highest free unclaimed one (binds take the
 * lowest, so a create and a bind decided at the same time rarely want the same address), skipping
 * `exclude` (the primaries of creates still in flight, which the log does not show yet), or
 * undefined when there is none. Asking for it keeps the cloud from choosing an address the log
 * holds (a bind in flight, a kept claim). Walks down from the top lazily: a /16 has 65,533 usable
 * addresses, and listing them all cost every ENI create 25-38 ms of the leader's CPU.
 */
export const pickPrimaryAddress = (s: SubnetState, exclude: ReadonlySet<Ipv4> = new Set()): Ipv4 | undefined => {
  if (!s.registered) return undefined;
  const claimed = new Set(Object.values(s.claims).map((c) => c.ip));
  for (const ip of usableAddressesDescending(parseCidr(s.cidr)))
    if (!s.addresses[ip] && !claimed.has(ip) && !exclude.has(ip)) return ip;
  return undefined;
};

/**
 * The lowest `n` free unclaimed addresses (deterministic), fewer if the subnet has fewer. The walk
 * starts above the run of taken addresses at the bottom of the block (remembered per address map,
 * see `AddressCounts.firstFree`): from the bottom, a bind in a subnet of 600,000 taken addresses
 * walked past all of them.
 */
export const pickFreeAddresses = (s: SubnetState, n: number): Ipv4[] => {
  const out: Ipv4[] = [];
  if (!s.registered || n <= 0) return out;
  const claimed = new Set(Object.values(s.claims).map((c) => c.ip));
  const cidr = parseCidr(s.cidr);
  const counts = addressCounts(s);
  let first = true;
  for (const ip of usableAddresses(cidr, counts.firstFree)) {
    if (out.length >= n) break;
    if (s.addresses[ip]) continue;
    if (first) {
      counts.firstFree = ipToInt(ip); // everything below is taken
      first = false;
    }
    if (!claimed.has(ip)) out.push(ip);
  }
  return out;
};
