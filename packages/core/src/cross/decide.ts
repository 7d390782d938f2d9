import { type CommandMeta, toStreamAppend } from '../decider/decider.js';
import { IpamError } from '../errors.js';
import { currentVersion } from '../events/catalogue.js';
import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import { type NodeCommand, type NodeCommandOf, nodeCommandSchema } from '../node/commands.js';
import { decideNode } from '../node/decide.js';
import type { NodeState } from '../node/state.js';
import type { StreamAppend } from '../ports/event-store.js';
import type { SubnetCommand } from '../subnet/commands.js';
import { decideSubnet } from '../subnet/decide.js';
import { pickFreeAddresses, type SubnetState } from '../subnet/state.js';
import { nodeStream, subnetStream } from '../values/ids.js';
import { podKey } from '../values/pod.js';
import { type CrossCommand, parseCrossCommand } from './commands.js';
import { allocateStaticIp, findClaim, releaseStaticIp } from './static-ip.js';

/** Events of one decision over a node stream and (at most) one subnet stream. */
export interface CrossDecision {
  node: NodeEvent[];
  subnet?: { subnetId: string; events: SubnetEvent[] };
}

/** Outcome commands of the node catalogue that also change a subnet. */
export type CrossOutcome = NodeCommandOf<
  | 'RecordEniCreated'
  | 'RecordEniDeleted'
  | 'RecordIpsBound'
  | 'RecordIpBindFailed'
  | 'RecordIpsUnbound'
  | 'RecordIpsLost'
>;

export const subnetOf = (subnets: Readonly<Record<string, SubnetState>>, subnetId: string): SubnetState => {
  const s = subnets[subnetId];
  if (!s?.registered) throw new IpamError('InvalidInput', `subnet ${subnetId} is not registered`, { subnetId });
  return s;
};

/** The subnet command that goes with a node event of the same decision. */
export const subnetCmd = (meta: CommandMeta, subnetId: string, c: Record<string, unknown>): SubnetCommand =>
  ({
    id: meta.id,
    at: meta.at,
    by: meta.by,
    ...(meta.cause ? { cause: meta.cause } : {}),
    subnetId,
    ...c,
  }) as SubnetCommand;

const both = (
  node: NodeEvent[],
  subnets: Readonly<Record<string, SubnetState>>,
  subnetId: string,
  meta: CommandMeta,
  c: Record<string, unknown>,
): CrossDecision => {
  if (node.length === 0) return { node };
  return {
    node,
    subnet: { subnetId, events: decideSubnet(subnetCmd(meta, subnetId, c), subnetOf(subnets, subnetId)) },
  };
};

const bindIps = (
  cmd: Extract<CrossCommand, { type: 'BindIps' }>,
  node: NodeState,
  subnets: Readonly<Record<string, SubnetState>>,
): CrossDecision => {
  const eni = node.enis[cmd.eniId];
  if (!eni) throw new IpamError('EniNotFound', `ENI ${cmd.eniId} is not on node ${cmd.node}`, { eniId: cmd.eniId });
  const subnet = subnetOf(subnets, eni.subnetId);
  if ((cmd.ips === undefined) === (cmd.count === undefined)) {
    throw new IpamError('InvalidInput', 'BindIps takes exactly one of count and ips');
  }
  const ips = cmd.ips ?? pickFreeAddresses(subnet, cmd.count ?? 0);
  if (ips.length < (cmd.count ?? 0)) {
    throw new IpamError('SubnetExhausted', `${eni.subnetId} has ${ips.length} free addresses, ${cmd.count} asked`, {
      subnetId: eni.subnetId,
    });
  }
  const { type: _t, count: _c, ips: _i, ...rest } = cmd;
  const nodeEvents = decideNode({ ...rest, type: 'RequestIpBind', ips }, node);
  const intent = nodeEvents[0] as Extract<NodeEvent, { type: 'IpBindRequested' }>;
  const { intentId, eniId, why } = intent.data;
  return both(nodeEvents, subnets, eni.subnetId, cmd, {
    type: 'ReserveAddresses',
    intentId,
    node: cmd.node,
    eniId,
    ips,
    why,
    ...(cmd.forPod ? { forPod: cmd.forPod } : {}),
  });
};

const outcome = (cmd: CrossOutcome, node: NodeState, subnets: Readonly<Record<string, SubnetState>>): CrossDecision => {
  const events = decideNode(cmd, node);
  const e = events.at(-1); // RecordIpsLost: the pods released come first
  if (!e) return { node: events };
  const base = { node: cmd.node };
  switch (e.type) {
    case 'EniCreated':
      return both(events, subnets, e.data.subnetId, cmd, {
        ...base,
        type: 'TakePrimaryAddress',
        eniId: e.data.eniId,
        ip: e.data.primaryIp,
      });
    case 'EniDeleted': {
      const eni = node.enis[e.data.eniId];
      if (!eni) return { node: events };
      return both(events, subnets, eni.subnetId, cmd, {
        ...base,
        type: 'FreePrimaryAddress',
        eniId: eni.eniId,
        ip: eni.primaryIp,
      });
    }
    case 'IpsLost': {
      const { intentId, eniId, ips } = e.data;
      const subnetId = node.enis[eniId]?.subnetId ?? '';
      return both(events, subnets, subnetId, cmd, {
        ...base,
        type: 'FreeAddresses',
        intentId,
        eniId,
        ips,
        why: 'lost',
      });
    }
    case 'IpsBound':
    case 'IpBindFailed':
    case 'IpsUnbound': {
      const { intentId, eniId, ips } = e.data;
      const subnetId = node.enis[eniId]?.subnetId ?? '';
      const c =
        e.type === 'IpsBound'
          ? { type: 'MarkAddressesBound', intentId, eniId, ips }
          : { type: 'FreeAddresses', intentId, eniId, ips, why: e.type === 'IpsUnbound' ? 'unbound' : 'bind failed' };
      return both(events, subnets, subnetId, cmd, { ...base, ...c });
    }
    default:
      return { node: events };
  }
};

const CROSS_OUTCOMES = new Set([
  'RecordEniCreated',
  'RecordEniDeleted',
  'RecordIpsBound',
  'RecordIpBindFailed',
  'RecordIpsUnbound',
  'RecordIpsLost',
]);

/** True for a node-catalogue command that must be decided with `decideCross`. */
export const isCrossOutcome = (c: { type: string }): c is CrossOutcome => CROSS_OUTCOMES.has(c.type);

const NODE_ONLY = new Set<string>(
  nodeCommandSchema.options.map((o) => o.shape.type.value).filter((t) => !CROSS_OUTCOMES.has(t)),
);

/**
 * Decides any command of a node stream: node-only commands (their events go to the node stream
 * alone) and commands that change a node stream and a subnet stream together (`subnets`: the
 * states of the configured subnets by id). The caller appends both in ONE
 * `EventStore.append` (see {@link crossToAppends}), so addresses reserved in the subnet and the
 * node's intent commit or fail together.
 */
export const decideCross = (
  command: CrossCommand | NodeCommand,
  node: NodeState,
  subnets: Readonly<Record<string, SubnetState>>,
): CrossDecision => {
  if (isCrossOutcome(command)) return outcome(command, node, subnets);
  // a pod name with a claim gets its claimed address whatever its annotations say now, and a
  // claimed address goes back through the claim (unbound, claim retained or deleted)
  if (command.type === 'AllocateIp') {
    const found = findClaim(subnets, podKey(command.pod));
    if (found) {
      const c = {
        ...command,
        type: 'AllocateStaticIp' as const,
        policy: found.claim.policy,
        poolPolicy: 'warm' as const,
      };
      return allocateStaticIp(c, node, subnets);
    }
  }
  if (command.type === 'ReleaseIp') {
    const a = node.allocations[command.containerId];
    if (a && findClaim(subnets, podKey(a.pod))?.claim.ip === a.ip) {
      const c = { ...command, type: 'ReleaseStaticIp' as const, claimExpiryMs: command.claimExpiryMs ?? null };
      return releaseStaticIp(c, node, subnets);
    }
  }
  if (NODE_ONLY.has(command.type)) return { node: decideNode(command as NodeCommand, node) };
  const cmd = parseCrossCommand(command);
  switch (cmd.type) {
    case 'BindIps':
      return bindIps(cmd, node, subnets);
    case 'AllocateStaticIp':
      return allocateStaticIp(cmd, node, subnets);
    case 'ReleaseStaticIp':
      return releaseStaticIp(cmd, node, subnets);
  }
};

/**
 * The StreamAppends of a cross decision: node events first (ids `${cmd.id}:0..`), then the
 * subnet's (ids continuing the count), each at its stream's current version.
 */
export const crossToAppends = (
  d: CrossDecision,
  cmd: CommandMeta & { node: string },
  node: NodeState,
  subnets: Readonly<Record<string, SubnetState>>,
): StreamAppend[] => {
  const out: StreamAppend[] = [];
  if (d.node.length > 0) out.push(toStreamAppend(nodeStream(cmd.node), node.version, d.node, cmd, currentVersion));
  if (d.subnet && d.subnet.events.length > 0) {
    const v = subnets[d.subnet.subnetId]?.version ?? 0;
    out.push(toStreamAppend(subnetStream(d.subnet.subnetId), v, d.subnet.events, cmd, currentVersion, d.node.length));
  }
  return out;
};
