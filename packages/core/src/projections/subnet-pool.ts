import { type Claim, freeUnclaimed, type SubnetState } from '../subnet/state.js';
import { parseCidr, usableCount } from '../values/cidr.js';

/** A subnet's addresses at a glance. */
export interface SubnetPoolView {
  subnetId: string;
  cidr: string;
  zone: string;
  /** Addresses that can ever be bound (the block minus network, gateway and broadcast). */
  usable: number;
  /** Free and not claimed. */
  free: number;
  reserved: number;
  bound: number;
  primary: number;
  /** Claims (active and retained). */
  claims: number;
  retainedClaims: number;
  /** Quota per node (on-demand pool policy). */
  quotas: Record<string, number>;
}

export const subnetPoolView = (s: SubnetState): SubnetPoolView => {
  const taken = Object.values(s.addresses);
  const count = (st: string) => taken.filter((a) => a.status === st).length;
  return {
    subnetId: s.subnetId,
    cidr: s.cidr,
    zone: s.zone,
    usable: s.registered ? usableCount(parseCidr(s.cidr)) : 0,
    free: freeUnclaimed(s),
    reserved: count('reserved'),
    bound: count('bound'),
    primary: count('primary'),
    claims: Object.keys(s.claims).length,
    retainedClaims: Object.values(s.claims).filter((c) => c.state === 'retained').length,
    quotas: { ...s.quotas },
  };
};

/** A claim with the subnet it lives in. */
export type ClaimEntry = Claim & { subnetId: string };

/** Every claim of the cluster by `namespace/name` (claims live in their address's subnet). */
export const claimsIndex = (subnets: readonly SubnetState[]): Record<string, ClaimEntry> => {
  const out: Record<string, ClaimEntry> = {};
  for (const s of subnets) for (const [k, c] of Object.entries(s.claims)) out[k] = { ...c, subnetId: s.subnetId };
  return out;
};
