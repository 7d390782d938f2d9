/**
 * A tiny deterministic cluster for property tests: every command goes through the deciders,
 * every event is wrapped in an envelope, JSON round-tripped and decoded (so the catalogue must
 * accept everything the deciders emit), and the live states evolve from the domain events.
 * The "cloud" answers intents as told (success or failure), picking primary IPs like the VPC.
 */
import { type ClusterCommand, clusterDecider, defaultClusterConfig } from '../cluster/cluster.js';
import { type CrossCommand, type CrossDecision, crossToAppends, decideCross } from '../cross/index.js';
import { toStreamAppend } from '../decider/decider.js';
import { isIpamError } from '../errors.js';
import { currentVersion } from '../events/catalogue.js';
import type { ClusterConfig } from '../events/cluster-events.js';
import { type DecodedEvent, decodeEvent } from '../events/decode.js';
import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import type { NodeCommand } from '../node/commands.js';
import { evolveNode } from '../node/evolve.js';
import { initialNodeState, type NodeState } from '../node/state.js';
import type { StreamAppend } from '../ports/event-store.js';
import type { SubnetCommand } from '../subnet/commands.js';
import { decideSubnet } from '../subnet/decide.js';
import { evolveSubnet } from '../subnet/evolve.js';
import { claimOfIp, initialSubnetState, type SubnetState } from '../subnet/state.js';
import { parseCidr, usableAddresses } from '../values/cidr.js';
import { CLUSTER_STREAM, nodeStream, subnetStream } from '../values/ids.js';

export const ZONE = 'ap-guangzhou-3';
export const VPC = 'vpc-abcd1234';

export class Sim {
  nodes: Record<string, NodeState> = {};
  subnets: Record<string, SubnetState> = {};
  config: ClusterConfig;
  clusterVersion = 0;
  log: DecodedEvent[] = [];
  now = Date.UTC(2026, 0, 1);
  private n = 0;
  private revision = 0;
  private eniSeq = 0;

  constructor(
    subnets: { id: string; cidr: string }[],
    nodes: { name: string; limits: { maxEnis: number; ipsPerEni: number } }[],
    config: Partial<ClusterConfig>,
  ) {
    for (const s of subnets) {
      this.subnet({ type: 'RegisterSubnet', subnetId: s.id, vpcId: VPC, cidr: s.cidr, zone: ZONE });
    }
    this.config = {
      ...defaultClusterConfig(
        VPC,
        subnets.map((s) => s.id),
      ),
      ...config,
    };
    const observedSubnets = subnets.map((s) => ({ subnetId: s.id, availableIps: 10, totalIps: 10 }));
    const cmd = {
      ...this.meta(),
      type: 'ChangeConfig',
      config: this.config,
      source: 'sim',
      observedSubnets,
    } as ClusterCommand;
    const events = clusterDecider.decide(cmd, { version: this.clusterVersion, config: undefined });
    this.commit([toStreamAppend(CLUSTER_STREAM, 0, events, cmd, currentVersion)]);
    this.clusterVersion += events.length;
    for (const n of nodes)
      this.node(n.name, { type: 'RegisterNode', instanceId: `ins-${n.name}`, zone: ZONE, limits: n.limits });
  }

  meta() {
    this.n += 1;
    this.now += 1000;
    return { id: `c${this.n}`, at: new Date(this.now).toISOString(), by: { replica: 'sim', term: 1 } };
  }

  /** Decodes what would be stored (JSON round trip), as a reader would. */
  private commit(appends: StreamAppend[]): void {
    this.revision += 1;
    for (const a of appends) {
      for (const e of a.events)
        this.log.push(decodeEvent({ ...JSON.parse(JSON.stringify(e)), revision: this.revision }));
    }
  }

  /** Runs a node-stream command (node-only or cross-stream). IpamErrors mean "refused, nothing appended". */
  node(name: string, c: Record<string, unknown>): CrossDecision | undefined {
    const cmd = { ...this.meta(), node: name, ...c } as CrossCommand | NodeCommand;
    const before = this.nodes[name] ?? initialNodeState();
    let d: CrossDecision;
    try {
      d = decideCross(cmd, before, this.subnets);
    } catch (e) {
      if (isIpamError(e)) return undefined;
      throw e;
    }
    this.commit(crossToAppends(d, { ...cmd, node: name }, before, this.subnets));
    const at = cmd.at;
    this.nodes[name] = d.node.reduce((s, e: NodeEvent) => evolveNode(s, { ...e, at }), before);
    if (d.subnet) {
      const id = d.subnet.subnetId;
      this.subnets[id] = d.subnet.events.reduce(evolveSubnet, this.subnets[id] ?? initialSubnetState());
    }
    return d;
  }

  subnet(c: Record<string, unknown> & { subnetId: string }): SubnetEvent[] | undefined {
    const cmd = { ...this.meta(), ...c } as SubnetCommand;
    const before = this.subnets[c.subnetId] ?? initialSubnetState();
    let events: SubnetEvent[];
    try {
      events = decideSubnet(cmd, before);
    } catch (e) {
      if (isIpamError(e)) return undefined;
      throw e;
    }
    this.commit([toStreamAppend(subnetStream(c.subnetId), before.version, events, cmd, currentVersion)]);
    this.subnets[c.subnetId] = events.reduce(evolveSubnet, before);
    return events;
  }

  /** The VPC's choice of a new ENI's primary IP: the lowest address it sees free. */
  cloudPrimaryIp(subnetId: string): string | undefined {
    const s = this.subnets[subnetId];
    if (!s) return undefined;
    for (const ip of usableAddresses(parseCidr(s.cidr))) if (!s.addresses[ip] && !claimOfIp(s, ip)) return ip;
    return undefined;
  }

  nextEniId(): string {
    this.eniSeq += 1;
    return `eni-${String(this.eniSeq).padStart(8, '0')}`;
  }

  macFor(eniId: string): string {
    const n = Number(eniId.slice(4));
    return `52:54:00:00:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
  }

  /** The stream key of a node (for error messages). */
  static stream(name: string): string {
    return nodeStream(name);
  }
}
