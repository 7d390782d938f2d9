import type { Decider } from '../decider/decider.js';
import { IpamError } from '../errors.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import { isUsable, parseCidr } from '../values/cidr.js';
import { podKey } from '../values/pod.js';
import { parseSubnetCommand, type SubnetCommand, type SubnetCommandOf } from './commands.js';
import { evolveSubnet } from './evolve.js';
import { availableFor, claimOfIp, heldBy, initialSubnetState, type SubnetState } from './state.js';

const reserve = (s: SubnetState, cmd: SubnetCommandOf<'ReserveAddresses'>): SubnetEvent[] => {
  const cidr = parseCidr(s.cidr);
  const fresh = new Set(cmd.ips);
  if (fresh.size !== cmd.ips.length) throw new IpamError('InvalidInput', 'duplicate addresses', { ips: cmd.ips });
  let unclaimed = 0;
  for (const ip of cmd.ips) {
    if (!isUsable(cidr, ip)) {
      throw new IpamError('InvalidIp', `${ip} is not a usable address of ${s.subnetId} (${s.cidr})`, { ip });
    }
    const taken = s.addresses[ip];
    if (taken) {
      throw new IpamError('IllegalTransition', `${ip} is ${taken.status} for ENI ${taken.eniId} on ${taken.node}`, {
        ip,
      });
    }
    const claim = claimOfIp(s, ip);
    if (claim && podKey(claim.pod) !== cmd.forPod) {
      throw new IpamError('ClaimConflict', `${ip} is claimed by pod ${podKey(claim.pod)}`, {
        ip,
        pod: podKey(claim.pod),
      });
    }
    if (!claim) unclaimed++;
  }
  const avail = availableFor(s, cmd.node);
  if (unclaimed > avail) {
    throw new IpamError('SubnetExhausted', `${s.subnetId} has ${avail} addresses for ${cmd.node}, ${unclaimed} asked`, {
      subnetId: s.subnetId,
      available: avail,
    });
  }
  const { intentId, node, eniId, ips, why } = cmd;
  return [{ type: 'AddressesReserved', data: { intentId, node, eniId, ips, why } }];
};

const claims = (s: SubnetState, cmd: SubnetCommand): SubnetEvent[] => {
  switch (cmd.type) {
    case 'CreateClaim': {
      const { pod, ip, policy, node } = cmd;
      const mine = s.claims[podKey(pod)];
      if (mine) {
        if (mine.ip === ip) return [];
        throw new IpamError('ClaimConflict', `pod ${podKey(pod)} already claims ${mine.ip}`, { pod: podKey(pod) });
      }
      const other = claimOfIp(s, ip);
      if (other) throw new IpamError('ClaimConflict', `${ip} is claimed by ${podKey(other.pod)}`, { ip });
      if (!isUsable(parseCidr(s.cidr), ip)) throw new IpamError('InvalidIp', `${ip} is not usable in ${s.subnetId}`);
      return [{ type: 'ClaimCreated', data: { pod, ip, policy, node } }];
    }
    case 'ReuseClaim': {
      const c = s.claims[podKey(cmd.pod)];
      if (!c || (c.state === 'active' && c.node === cmd.node)) return [];
      return [{ type: 'ClaimReused', data: { pod: cmd.pod, ip: c.ip, node: cmd.node } }];
    }
    case 'ReleaseClaim': {
      const c = s.claims[podKey(cmd.pod)];
      if (!c || c.state === 'retained') return [];
      if (c.policy === 'Immediate') {
        return [{ type: 'ClaimDeleted', data: { pod: c.pod, ip: c.ip, why: 'pod deleted; claim policy Immediate' } }];
      }
      const data = { pod: c.pod, ip: c.ip };
      if (cmd.claimExpiryMs === null) return [{ type: 'ClaimRetained', data }];
      const expiresAt = new Date(Date.parse(cmd.at) + cmd.claimExpiryMs).toISOString();
      return [{ type: 'ClaimRetained', data: { ...data, expiresAt } }];
    }
    case 'ExpireClaims': {
      const now = Date.parse(cmd.at);
      return Object.entries(s.claims)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .filter(([, c]) => c.state === 'retained' && c.expiresAt !== undefined && Date.parse(c.expiresAt) <= now)
        .map(([, c]) => ({ type: 'ClaimExpired' as const, data: { pod: c.pod, ip: c.ip } }));
    }
    case 'DeleteClaim': {
      const c = s.claims[podKey(cmd.pod)];
      return c ? [{ type: 'ClaimDeleted', data: { pod: c.pod, ip: c.ip, why: cmd.why } }] : [];
    }
    default:
      return [];
  }
};

/**
 * Decides a subnet command against the subnet's state; validates it first (bad input: a typed
 * IpamError, no event). Any command but RegisterSubnet on an unregistered subnet: `InvalidInput`.
 * Address conflicts: `IllegalTransition`; claimed by another pod: `ClaimConflict`; not enough
 * free addresses (quotas of other nodes held back): `SubnetExhausted`.
 */
export const decideSubnet = (command: SubnetCommand, s: SubnetState): SubnetEvent[] => {
  const cmd = parseSubnetCommand(command);
  if (cmd.type === 'RegisterSubnet') {
    const { subnetId, vpcId, cidr, zone } = cmd;
    if (!s.registered) return [{ type: 'SubnetRegistered', data: { subnetId, vpcId, cidr, zone } }];
    if (s.vpcId === vpcId && s.cidr === cidr && s.zone === zone) return [];
    throw new IpamError('IllegalTransition', `subnet ${subnetId} is registered with another VPC, CIDR or zone`);
  }
  if (!s.registered)
    throw new IpamError('InvalidInput', `subnet ${cmd.subnetId} is not registered`, { subnetId: cmd.subnetId });
  if (s.subnetId !== cmd.subnetId)
    throw new IpamError('InvalidInput', `command for ${cmd.subnetId} applied to ${s.subnetId}`);
  switch (cmd.type) {
    case 'ReserveAddresses':
      return reserve(s, cmd);
    case 'MarkAddressesBound': {
      const ips = cmd.ips.filter(
        (ip) => s.addresses[ip]?.status === 'reserved' && s.addresses[ip]?.intentId === cmd.intentId,
      );
      const { intentId, node, eniId } = cmd;
      return ips.length ? [{ type: 'AddressesBound', data: { intentId, node, eniId, ips } }] : [];
    }
    case 'FreeAddresses': {
      const ips = cmd.ips.filter((ip) => {
        const a = s.addresses[ip];
        return a !== undefined && a.status !== 'primary' && a.eniId === cmd.eniId;
      });
      const { intentId, node, eniId, why } = cmd;
      return ips.length ? [{ type: 'AddressesFreed', data: { intentId, node, eniId, ips, why } }] : [];
    }
    case 'TakePrimaryAddress': {
      const a = s.addresses[cmd.ip];
      if (a?.status === 'primary' && a.eniId === cmd.eniId) return [];
      // Reserved (a bind in flight, not yet in the cloud): the cloud chose it as this ENI's primary,
      // so that bind cannot succeed and will fail; the primary takes the address over. Bound or
      // another ENI's primary: the cloud shows that record stale, and it must be settled first
      // (RecordIpsLost, or the old ENI's delete recorded): never two ENIs with one address.
      if (a && a.status !== 'reserved') {
        throw new IpamError(
          'IllegalTransition',
          `${cmd.ip} is ${a.status} for ENI ${a.eniId} on ${a.node}; it cannot be the primary of ${cmd.eniId}`,
          { ip: cmd.ip, heldBy: { node: a.node, eniId: a.eniId, status: a.status } },
        );
      }
      if (!isUsable(parseCidr(s.cidr), cmd.ip))
        throw new IpamError('InvalidIp', `${cmd.ip} is not usable in ${s.subnetId}`);
      return [{ type: 'PrimaryAddressTaken', data: { node: cmd.node, eniId: cmd.eniId, ip: cmd.ip } }];
    }
    case 'FreePrimaryAddress': {
      const a = s.addresses[cmd.ip];
      if (a?.status !== 'primary' || a.eniId !== cmd.eniId) return [];
      return [{ type: 'PrimaryAddressFreed', data: { node: cmd.node, eniId: cmd.eniId, ip: cmd.ip } }];
    }
    case 'ReserveQuota': {
      if (s.quotas[cmd.node] === cmd.count) return [];
      const need = Math.max(0, cmd.count - heldBy(s, cmd.node));
      const avail = availableFor(s, cmd.node);
      if (need > avail) {
        throw new IpamError('SubnetExhausted', `${s.subnetId} cannot hold a quota of ${cmd.count} for ${cmd.node}`, {
          subnetId: s.subnetId,
          available: avail,
        });
      }
      return [{ type: 'QuotaReserved', data: { node: cmd.node, count: cmd.count } }];
    }
    case 'ReleaseQuota': {
      const q = s.quotas[cmd.node];
      return q === undefined ? [] : [{ type: 'QuotaReleased', data: { node: cmd.node, count: q } }];
    }
    default:
      return claims(s, cmd);
  }
};

/** The subnet stream as a Decider. */
export const subnetDecider: Decider<SubnetCommand, SubnetEvent, SubnetState> = {
  decide: decideSubnet,
  evolve: evolveSubnet,
  initialState: initialSubnetState,
};
