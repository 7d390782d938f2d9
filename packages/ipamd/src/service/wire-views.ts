import {
  type DecodedEvent,
  gatewayOf,
  maxBindableIps,
  maxExclusiveEnis,
  type NodeEni,
  type NodeState,
  nodePoolSettings,
  type Projection,
  parseCidr,
} from '@eni-ipam/core';
import type { EniFacts, ProjectionHost } from './projection-host.js';
import type * as wire from './wire-types.js';

/** Subnet CIDR and gateway of an ENI's subnet, from the subnet stream. */
const addressing = (host: ProjectionHost, subnetId: string): { subnetCidr: string; gateway: string } | undefined => {
  const s = host.subnet(subnetId);
  if (!s.registered) return undefined;
  return { subnetCidr: s.cidr, gateway: gatewayOf(parseCidr(s.cidr)) };
};

const exclusiveEnis = (s: NodeState): Set<string> => new Set(Object.values(s.assignments).map((a) => a.eniId));

/** An ENI as the agent configures it; undefined when its subnet is unknown. */
export const wireEni = (
  host: ProjectionHost,
  e: Pick<EniFacts, 'eniId' | 'subnetId' | 'mac' | 'primaryIp'>,
  mode: wire.Mode,
): wire.Eni | undefined => {
  const a = addressing(host, e.subnetId);
  return a && { id: e.eniId, mac: e.mac.toLowerCase(), primaryIp: e.primaryIp, ...a, mode };
};

/** A shared-mode allocation of a container, in wire form. */
export const wireAllocation = (
  host: ProjectionHost,
  s: NodeState,
  containerId: string,
): wire.PodAllocation | undefined => {
  const a = s.allocations[containerId];
  if (a) {
    const eni = s.enis[a.eniId] ?? host.eni(a.eniId);
    const addr = eni && addressing(host, eni.subnetId);
    if (!eni || !addr) return undefined;
    return {
      containerId,
      pod: a.pod,
      mode: 'shared',
      ip: a.ip,
      eniId: a.eniId,
      eniMac: eni.mac.toLowerCase(),
      ...addr,
    };
  }
  const x = s.assignments[containerId];
  if (x) {
    const eni = s.enis[x.eniId] ?? host.eni(x.eniId);
    const addr = eni && addressing(host, eni.subnetId);
    if (!eni || !addr) return undefined;
    const ip = eni.primaryIp;
    return { containerId, pod: x.pod, mode: 'exclusive', ip, eniId: x.eniId, eniMac: eni.mac.toLowerCase(), ...addr };
  }
  return undefined;
};

/** The node's attached ENIs and pod allocations, as `GET /state` returns them. */
export const wireNodeState = (host: ProjectionHost, s: NodeState): Omit<wire.NodeState, 'revision'> => {
  const excl = exclusiveEnis(s);
  const enis = Object.values(s.enis)
    .filter((e) => e.state === 'attached')
    .flatMap((e) => wireEni(host, e, excl.has(e.eniId) ? 'exclusive' : 'shared') ?? []);
  const containers = [...Object.keys(s.allocations), ...Object.keys(s.assignments)].sort();
  const allocations = containers.flatMap((c) => wireAllocation(host, s, c) ?? []);
  return { enis, allocations };
};

/** One node-stream event as a feed line; undefined for events the agent does not act on. */
export const wireFeedEvent = (host: ProjectionHost, e: DecodedEvent, revision: number): wire.FeedEvent | undefined => {
  switch (e.type) {
    case 'EniAttached': {
      const facts = host.eni(e.data.eniId);
      const eni = facts && wireEni(host, facts, 'shared');
      return eni && { revision, type: 'EniAttached', eni };
    }
    case 'EniDetached':
      return { revision, type: 'EniDetached', eniId: e.data.eniId };
    case 'IpAllocated':
    case 'EniAssigned': {
      const facts = host.eni(e.data.eniId);
      const addr = facts && addressing(host, facts.subnetId);
      if (!facts || !addr) return undefined;
      const shared = e.type === 'IpAllocated';
      const allocation: wire.PodAllocation = {
        containerId: e.data.containerId,
        pod: e.data.pod,
        mode: shared ? 'shared' : 'exclusive',
        ip: shared ? e.data.ip : facts.primaryIp,
        eniId: facts.eniId,
        eniMac: facts.mac.toLowerCase(),
        ...addr,
      };
      return { revision, type: 'IpAllocated', allocation };
    }
    case 'IpReleased':
    case 'EniReturned':
      return { revision, type: 'IpReleased', containerId: e.data.containerId };
    default:
      return undefined;
  }
};

const boundIps = (e: NodeEni): number => Object.values(e.ips).filter((i) => i.status === 'bound').length;

/** A node's summary line for `GET /v1/nodes`. */
export const nodeSummary = (p: Projection, s: NodeState, acked: number | undefined): wire.NodeSummary => {
  const excl = exclusiveEnis(s);
  const attached = Object.values(s.enis).filter((e) => e.state === 'attached');
  const exclusive = excl.size > 0;
  const config = p.cluster.config;
  const out: wire.NodeSummary = {
    name: s.node,
    poolPolicy: config ? nodePoolSettings(config, s.node).poolPolicy : 'warm',
    enis: attached.length,
    bound: exclusive ? attached.filter((e) => boundIps(e) === 0).length : attached.reduce((n, e) => n + boundIps(e), 0),
    allocated: Object.keys(s.allocations).length + Object.keys(s.assignments).length,
    capacity: exclusive ? maxExclusiveEnis(s.limits) : maxBindableIps(s.limits),
    draining: s.status === 'draining',
  };
  if (s.zone) out.zone = s.zone;
  if (acked !== undefined) out.ackedRevision = acked;
  return out;
};

/** Every ENI of every node, with its status and addresses (`GET /v1/enis`). */
export const eniViews = (p: Projection): wire.EniView[] =>
  Object.values(p.nodes).flatMap((s) => {
    const excl = exclusiveEnis(s);
    const known = Object.values(s.enis).map(
      (e): wire.EniView => ({
        id: e.eniId,
        node: s.node,
        subnetId: e.subnetId,
        mode: excl.has(e.eniId) ? 'exclusive' : 'shared',
        status: e.state,
        primaryIp: e.primaryIp,
        ips: Object.keys(e.ips).sort(),
      }),
    );
    const creating = Object.values(s.intents)
      .filter((i) => i.op === 'create')
      .map(
        (i): wire.EniView => ({
          id: i.intentId,
          node: s.node,
          subnetId: i.subnetId ?? '',
          mode: 'shared',
          status: 'creating',
          ips: [],
        }),
      );
    return [...known, ...creating];
  });
