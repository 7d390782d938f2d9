import type { SubnetEvent } from '../events/subnet-events.js';
import { podKey } from '../values/pod.js';
import type { SubnetState, TakenAddress } from './state.js';

const without = <T>(r: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _gone, ...rest } = r;
  return rest;
};

const setAddresses = (
  s: SubnetState,
  ips: readonly string[],
  f: (a: TakenAddress | undefined) => TakenAddress | undefined,
): SubnetState => {
  const next = { ...s.addresses };
  for (const ip of ips) {
    const v = f(next[ip]);
    if (v) next[ip] = v;
    else delete next[ip];
  }
  return { ...s, addresses: next };
};

const apply = (s: SubnetState, e: SubnetEvent): SubnetState => {
  switch (e.type) {
    case 'SubnetRegistered':
      return { ...s, registered: true, ...e.data };
    case 'AddressesReserved': {
      const { node, eniId, intentId } = e.data;
      return setAddresses(s, e.data.ips, () => ({ status: 'reserved', node, eniId, intentId }));
    }
    case 'AddressesBound':
      return setAddresses(s, e.data.ips, (a) =>
        a?.status === 'reserved' && a.intentId === e.data.intentId ? { ...a, status: 'bound' } : a,
      );
    case 'AddressesFreed':
      // only what this bind or this ENI holds: a primary IP the cloud gave meanwhile stays
      return setAddresses(s, e.data.ips, (a) =>
        a && a.status !== 'primary' && a.eniId === e.data.eniId ? undefined : a,
      );
    case 'PrimaryAddressTaken': {
      const { node, eniId } = e.data;
      return setAddresses(s, [e.data.ip], () => ({ status: 'primary', node, eniId }));
    }
    case 'PrimaryAddressFreed':
      return setAddresses(s, [e.data.ip], (a) => (a?.status === 'primary' && a.eniId === e.data.eniId ? undefined : a));
    case 'QuotaReserved':
      return { ...s, quotas: { ...s.quotas, [e.data.node]: e.data.count } };
    case 'QuotaReleased':
      return { ...s, quotas: without(s.quotas, e.data.node) };
    case 'ClaimCreated': {
      const { pod, ip, policy, node } = e.data;
      return { ...s, claims: { ...s.claims, [podKey(pod)]: { pod, ip, policy, node, state: 'active' } } };
    }
    case 'ClaimReused': {
      const k = podKey(e.data.pod);
      const c = s.claims[k];
      if (!c) return s;
      const { expiresAt: _e, ...rest } = c;
      return { ...s, claims: { ...s.claims, [k]: { ...rest, pod: e.data.pod, node: e.data.node, state: 'active' } } };
    }
    case 'ClaimRetained': {
      const k = podKey(e.data.pod);
      const c = s.claims[k];
      if (!c) return s;
      const next = { ...c, state: 'retained' as const };
      if (e.data.expiresAt !== undefined) next.expiresAt = e.data.expiresAt;
      return { ...s, claims: { ...s.claims, [k]: next } };
    }
    case 'ClaimExpired':
    case 'ClaimDeleted':
      return { ...s, claims: without(s.claims, podKey(e.data.pod)) };
    default: {
      const _exhaustive: never = e;
      return _exhaustive;
    }
  }
};

/** Applies one subnet event. Pure. */
export const evolveSubnet = (s: SubnetState, e: SubnetEvent): SubnetState => ({
  ...apply(s, e),
  version: s.version + 1,
});
