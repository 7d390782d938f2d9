import type { SubnetEvent } from '../events/subnet-events.js';
import { copyKeyed, withKey, withoutKey } from '../values/keyed.js';
import { podKey } from '../values/pod.js';
import { type Claim, noteAddressChange, type SubnetState, type TakenAddress } from './state.js';

/**
 * `owned`: the caller owns `s.addresses` (a private copy made for a batch fold, see
 * `applyEventsOwned`), so it is changed in place instead of copied: copying a subnet's whole address
 * map for each event makes a replay quadratic in the subnet's size.
 */
const setAddresses = (
  s: SubnetState,
  ips: readonly string[],
  f: (a: TakenAddress | undefined) => TakenAddress | undefined,
  owned: boolean,
): SubnetState => {
  const next = owned ? (s.addresses as Record<string, TakenAddress>) : copyKeyed(s.addresses);
  for (const ip of ips) {
    const was = next[ip];
    const v = f(was);
    if (v) next[ip] = v;
    else delete next[ip];
    // a map changed in place may have counts cached already (the planner read it between batches)
    if (owned && v !== was) noteAddressChange(next, ip, was, v);
  }
  return { ...s, addresses: next };
};

const apply = (s: SubnetState, e: SubnetEvent, owned: boolean): SubnetState => {
  switch (e.type) {
    case 'SubnetRegistered':
      return { ...s, registered: true, ...e.data };
    case 'AddressesReserved': {
      const { node, eniId, intentId } = e.data;
      return setAddresses(s, e.data.ips, () => ({ status: 'reserved', node, eniId, intentId }), owned);
    }
    case 'AddressesBound':
      return setAddresses(
        s,
        e.data.ips,
        (a) => (a?.status === 'reserved' && a.intentId === e.data.intentId ? { ...a, status: 'bound' } : a),
        owned,
      );
    case 'AddressesFreed':
      // only what this bind or this ENI holds: a primary IP the cloud gave meanwhile stays
      return setAddresses(
        s,
        e.data.ips,
        (a) => (a && a.status !== 'primary' && a.eniId === e.data.eniId ? undefined : a),
        owned,
      );
    case 'PrimaryAddressTaken': {
      const { node, eniId } = e.data;
      return setAddresses(s, [e.data.ip], () => ({ status: 'primary', node, eniId }), owned);
    }
    case 'PrimaryAddressFreed':
      return setAddresses(
        s,
        [e.data.ip],
        (a) => (a?.status === 'primary' && a.eniId === e.data.eniId ? undefined : a),
        owned,
      );
    case 'QuotaReserved':
      return { ...s, quotas: withKey(s.quotas, e.data.node, e.data.count) };
    case 'QuotaReleased':
      return { ...s, quotas: withoutKey(s.quotas, e.data.node) };
    case 'ClaimCreated': {
      const { pod, ip, policy, node } = e.data;
      return { ...s, claims: withKey<Claim>(s.claims, podKey(pod), { pod, ip, policy, node, state: 'active' }) };
    }
    case 'ClaimReused': {
      const k = podKey(e.data.pod);
      const c = s.claims[k];
      if (!c) return s;
      const { expiresAt: _e, ...rest } = c;
      return {
        ...s,
        claims: withKey<Claim>(s.claims, k, { ...rest, pod: e.data.pod, node: e.data.node, state: 'active' }),
      };
    }
    case 'ClaimRetained': {
      const k = podKey(e.data.pod);
      const c = s.claims[k];
      if (!c) return s;
      const next = { ...c, state: 'retained' as const };
      if (e.data.expiresAt !== undefined) next.expiresAt = e.data.expiresAt;
      return { ...s, claims: withKey<Claim>(s.claims, k, next) };
    }
    case 'ClaimExpired':
    case 'ClaimDeleted':
      return { ...s, claims: withoutKey(s.claims, podKey(e.data.pod)) };
    default: {
      const _exhaustive: never = e;
      return _exhaustive;
    }
  }
};

/** Applies one subnet event. Pure. */
export const evolveSubnet = (s: SubnetState, e: SubnetEvent): SubnetState => ({
  ...apply(s, e, false),
  version: s.version + 1,
});

/**
 * `evolveSubnet` for a batch fold that owns `s.addresses` (a copy made for this batch and seen by
 * nobody else): the address map is changed in place. Same result as `evolveSubnet`.
 */
export const evolveSubnetOwned = (s: SubnetState, e: SubnetEvent): SubnetState => ({
  ...apply(s, e, true),
  version: s.version + 1,
});
