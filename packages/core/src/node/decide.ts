import { type Decider, eventId } from '../decider/decider.js';
import { IpamError } from '../errors.js';
import type { NodeEvent } from '../events/node-events.js';
import { secondaryIpsPerEni } from '../planner/limits.js';
import { pickEniForExclusivePod } from '../planner/order.js';
import { podKey } from '../values/pod.js';
import { type NodeCommand, type NodeCommandOf, parseNodeCommand } from './commands.js';
import { evolveNode, type Timed } from './evolve.js';
import { pickIpInState } from './pick.js';
import { toPlannerEnis } from './planner-view.js';
import { creatingIntents, initialNodeState, type NodeEni, type NodeState, usedSlots } from './state.js';

const illegal = (message: string, details: Record<string, unknown> = {}) =>
  new IpamError('IllegalTransition', message, details);

const sameLimits = (a: NodeState['limits'], b: NodeState['limits']) =>
  a.maxEnis === b.maxEnis && a.ipsPerEni === b.ipsPerEni;

const eniOf = (s: NodeState, eniId: string): NodeEni => {
  const eni = s.enis[eniId];
  if (!eni) throw new IpamError('EniNotFound', `ENI ${eniId} is not on node ${s.node}`, { node: s.node, eniId });
  return eni;
};

const mustBeActive = (s: NodeState, what: string): void => {
  if (s.status === 'draining')
    throw new IpamError('NodeDraining', `node ${s.node} is draining: no ${what}`, { node: s.node });
};

/** A refusal as an event, once per container and code (the state remembers the standing one). */
const refuse = (
  s: NodeState,
  cmd: NodeCommandOf<'AllocateIp' | 'AssignEni'>,
  mode: 'shared' | 'exclusive',
  code: string,
  reason: string,
): NodeEvent[] =>
  s.refusals[cmd.containerId]?.code === code
    ? []
    : [{ type: 'AllocationRefused', data: { pod: cmd.pod, containerId: cmd.containerId, mode, code, reason } }];

const sameContainerOtherPod = (s: NodeState, containerId: string, pod: { namespace: string; name: string }) => {
  const held = s.allocations[containerId]?.pod ?? s.assignments[containerId]?.pod;
  if (held && podKey(held) !== podKey(pod)) {
    throw new IpamError('InvalidInput', `container ${containerId} already belongs to pod ${podKey(held)}`, {
      containerId,
    });
  }
  return held !== undefined;
};

const allocateIp = (s: NodeState, cmd: NodeCommandOf<'AllocateIp'>): NodeEvent[] => {
  if (sameContainerOtherPod(s, cmd.containerId, cmd.pod)) return [];
  if (s.status === 'draining') return refuse(s, cmd, 'shared', 'NodeDraining', 'node is draining');
  const pick = pickIpInState(s);
  if (!pick) return refuse(s, cmd, 'shared', 'PoolExhausted', 'pool empty and refilling');
  return [
    {
      type: 'IpAllocated',
      data: {
        pod: cmd.pod,
        containerId: cmd.containerId,
        ip: pick.ip,
        eniId: pick.eniId,
        why: `least ENI: ${pick.eniId} holds the most pods (${pick.podsOnEni}) among ENIs with a free bound IP`,
      },
    },
  ];
};

const assignEni = (s: NodeState, cmd: NodeCommandOf<'AssignEni'>): NodeEvent[] => {
  if (sameContainerOtherPod(s, cmd.containerId, cmd.pod)) return [];
  if (s.status === 'draining') return refuse(s, cmd, 'exclusive', 'NodeDraining', 'node is draining');
  const eni = pickEniForExclusivePod(toPlannerEnis(s));
  if (!eni) return refuse(s, cmd, 'exclusive', 'PoolExhausted', 'no free ENI in the pool; refilling');
  const data = { pod: cmd.pod, containerId: cmd.containerId, eniId: eni.id, why: `lowest free pool ENI ${eni.id}` };
  return [{ type: 'EniAssigned', data }];
};

const requestIpBind = (s: NodeState, cmd: NodeCommandOf<'RequestIpBind'>): NodeEvent[] => {
  mustBeActive(s, 'binds');
  const eni = eniOf(s, cmd.eniId);
  if (eni.state !== 'attached') throw illegal(`ENI ${eni.eniId} is ${eni.state}, not attached`, { eniId: eni.eniId });
  const ips = [...new Set(cmd.ips)];
  if (ips.length !== cmd.ips.length)
    throw new IpamError('InvalidInput', 'duplicate addresses in bind', { ips: cmd.ips });
  for (const ip of ips) {
    const on = Object.values(s.enis).find((e) => e.ips[ip] !== undefined || e.primaryIp === ip);
    if (on) throw illegal(`address ${ip} is already on ENI ${on.eniId}`, { ip, eniId: on.eniId });
  }
  const room = secondaryIpsPerEni(s.limits) - usedSlots(eni);
  if (ips.length > room) {
    throw new IpamError(
      'LimitExceeded',
      `ENI ${eni.eniId} has room for ${Math.max(0, room)} more IPs, not ${ips.length}`,
      {
        eniId: eni.eniId,
        room,
      },
    );
  }
  const intentId = eventId(cmd, 0);
  const data = { intentId, clientToken: intentId, eniId: eni.eniId, subnetId: eni.subnetId, ips, why: cmd.why };
  return [{ type: 'IpBindRequested', data: cmd.forPod === undefined ? data : { ...data, forPod: cmd.forPod } }];
};

const requestIpUnbind = (s: NodeState, cmd: NodeCommandOf<'RequestIpUnbind'>): NodeEvent[] => {
  const eni = eniOf(s, cmd.eniId);
  const allocated = new Set(Object.values(s.allocations).map((a) => a.ip));
  const ips = [...new Set(cmd.ips)];
  for (const ip of ips) {
    const x = eni.ips[ip];
    if (!x || x.status !== 'bound') throw illegal(`address ${ip} is not bound on ENI ${eni.eniId}`, { ip });
    if (allocated.has(ip)) throw illegal(`address ${ip} is held by a pod`, { ip });
  }
  const intentId = eventId(cmd, 0);
  return [
    {
      type: 'IpUnbindRequested',
      data: {
        intentId,
        clientToken: intentId,
        eniId: eni.eniId,
        ips,
        why: cmd.why,
        ...(cmd.slowRelease ? { slowRelease: true } : {}),
      },
    },
  ];
};

const eniIntent = (
  s: NodeState,
  cmd: NodeCommandOf<'RequestEniAttach' | 'RequestEniDetach' | 'RequestEniDelete'>,
): NodeEvent[] => {
  const eni = eniOf(s, cmd.eniId);
  const intentId = eventId(cmd, 0);
  const base = { intentId, clientToken: intentId, eniId: eni.eniId, why: cmd.why };
  switch (cmd.type) {
    case 'RequestEniAttach':
      mustBeActive(s, 'attaches');
      if (eni.state !== 'detached') throw illegal(`ENI ${eni.eniId} is ${eni.state}, not detached`);
      return [{ type: 'EniAttachRequested', data: { ...base, instanceId: s.instanceId } }];
    case 'RequestEniDetach':
      if (eni.state !== 'attached') throw illegal(`ENI ${eni.eniId} is ${eni.state}, not attached`);
      if (usedSlots(eni) > 0) throw illegal(`ENI ${eni.eniId} still has secondary IPs`);
      if (Object.values(s.assignments).some((a) => a.eniId === eni.eniId))
        throw illegal(`ENI ${eni.eniId} serves a pod`);
      return [
        {
          type: 'EniDetachRequested',
          data: { ...base, instanceId: s.instanceId, ...(cmd.slowRelease ? { slowRelease: true as const } : {}) },
        },
      ];
    case 'RequestEniDelete':
      if (eni.state !== 'detached') throw illegal(`ENI ${eni.eniId} is ${eni.state}, not detached`);
      return [{ type: 'EniDeleteRequested', data: base }];
  }
};

/** Bound addresses the cloud no longer has: their pods released, then the addresses dropped. */
const ipsLost = (s: NodeState, cmd: NodeCommandOf<'RecordIpsLost'>): NodeEvent[] => {
  const eni = s.enis[cmd.eniId];
  const ips = [...new Set(cmd.ips)].filter((ip) => eni?.ips[ip]?.status === 'bound');
  if (!eni || ips.length === 0) return [];
  const lost = new Set(ips);
  const released: NodeEvent[] = Object.values(s.allocations)
    .filter((a) => a.eniId === eni.eniId && lost.has(a.ip))
    .map((a) => ({
      type: 'IpReleased',
      data: {
        pod: a.pod,
        containerId: a.containerId,
        ip: a.ip,
        eniId: a.eniId,
        why: `address lost: ${cmd.why}`.slice(0, 500),
      },
    }));
  const intentId = eventId(cmd, released.length);
  return [...released, { type: 'IpsLost', data: { intentId, eniId: eni.eniId, ips, why: cmd.why } }];
};

/** Outcome commands: an outcome for an unknown, resolved or mismatched intent yields nothing. */
const outcome = (s: NodeState, cmd: NodeCommand): NodeEvent[] => {
  if (!('intentId' in cmd)) return [];
  const i = s.intents[cmd.intentId];
  if (!i) return [];
  const { intentId } = i;
  const eniId = i.eniId ?? '';
  const ips = i.ips ?? [];
  switch (cmd.type) {
    case 'RecordEniCreated': {
      if (i.op !== 'create') return [];
      const { eniId: id, primaryIp, mac } = cmd;
      if (s.enis[id]) throw illegal(`ENI ${id} is already on node ${s.node}`);
      return [{ type: 'EniCreated', data: { intentId, eniId: id, subnetId: i.subnetId ?? '', primaryIp, mac } }];
    }
    case 'RecordEniAttached': {
      if (i.op !== 'attach') return [];
      const data =
        cmd.deviceIndex === undefined ? { intentId, eniId } : { intentId, eniId, deviceIndex: cmd.deviceIndex };
      return [{ type: 'EniAttached', data }];
    }
    case 'RecordEniDetached':
      return i.op === 'detach' ? [{ type: 'EniDetached', data: { intentId, eniId } }] : [];
    case 'RecordEniDeleted':
      return i.op === 'delete' ? [{ type: 'EniDeleted', data: { intentId, eniId } }] : [];
    case 'RecordEniOperationFailed': {
      if (i.op === 'bind' || i.op === 'unbind') return [];
      const base = { intentId, operation: i.op, errorCode: cmd.errorCode, message: cmd.message };
      return [{ type: 'EniOperationFailed', data: i.eniId ? { ...base, eniId: i.eniId } : base }];
    }
    case 'RecordIpsBound':
      return i.op === 'bind' ? [{ type: 'IpsBound', data: { intentId, eniId, ips: [...ips] } }] : [];
    case 'RecordIpBindFailed':
      return i.op === 'bind'
        ? [
            {
              type: 'IpBindFailed',
              data: { intentId, eniId, ips: [...ips], errorCode: cmd.errorCode, message: cmd.message },
            },
          ]
        : [];
    case 'RecordIpsUnbound':
      return i.op === 'unbind' ? [{ type: 'IpsUnbound', data: { intentId, eniId, ips: [...ips] } }] : [];
    case 'RecordIpUnbindFailed':
      return i.op === 'unbind'
        ? [
            {
              type: 'IpUnbindFailed',
              data: { intentId, eniId, ips: [...ips], errorCode: cmd.errorCode, message: cmd.message },
            },
          ]
        : [];
    default:
      return [];
  }
};

const lifecycle = (
  s: NodeState,
  cmd: NodeCommandOf<'RegisterNode' | 'ChangeNodeLimits' | 'DrainNode' | 'RemoveNode'>,
): NodeEvent[] => {
  switch (cmd.type) {
    case 'RegisterNode': {
      const { node, instanceId, zone, limits } = cmd;
      if (s.status === 'unregistered' || s.status === 'removed') {
        return [{ type: 'NodeRegistered', data: { node, instanceId, zone, limits } }];
      }
      if (s.instanceId === instanceId && s.zone === zone && sameLimits(s.limits, limits)) return [];
      throw illegal(`node ${node} is already registered with another instance, zone or limits`, { node });
    }
    case 'ChangeNodeLimits':
      return sameLimits(s.limits, cmd.limits)
        ? []
        : [{ type: 'NodeLimitsChanged', data: { limits: cmd.limits, previous: s.limits } }];
    case 'DrainNode':
      return s.status === 'draining' ? [] : [{ type: 'NodeDrainStarted', data: { reason: cmd.reason } }];
    case 'RemoveNode': {
      const left = {
        enis: Object.keys(s.enis).length,
        intents: Object.keys(s.intents).length,
        pods: Object.keys(s.allocations).length + Object.keys(s.assignments).length,
      };
      if (left.enis + left.intents + left.pods > 0) {
        throw illegal(`node ${s.node} still has ${left.enis} ENIs, ${left.intents} intents, ${left.pods} pods`, left);
      }
      return [{ type: 'NodeRemoved', data: { reason: cmd.reason } }];
    }
  }
};

/**
 * Decides a node command against the node's state. Validates the command first (bad input:
 * a typed IpamError, no event). Unknown or removed node: `NodeNotFound`. Refusals to give a pod
 * an address are recorded as `AllocationRefused` events (once per container and reason, so a
 * retrying CNI does not flood the log) because "why is my pod stuck" must be answerable from
 * history; state changes that are wrong for the ENI's life cycle throw `IllegalTransition`.
 */
export const decideNode = (command: NodeCommand, s: NodeState): NodeEvent[] => {
  const cmd = parseNodeCommand(command);
  if (
    cmd.type !== 'RegisterNode' &&
    cmd.type !== 'RemoveNode' &&
    (s.status === 'unregistered' || s.status === 'removed')
  ) {
    throw new IpamError('NodeNotFound', `node ${cmd.node} is not registered`, { node: cmd.node });
  }
  if (s.status !== 'unregistered' && s.node !== cmd.node) {
    throw new IpamError('InvalidInput', `command for node ${cmd.node} applied to node ${s.node}`, { node: cmd.node });
  }
  switch (cmd.type) {
    case 'RegisterNode':
    case 'ChangeNodeLimits':
    case 'DrainNode':
      return lifecycle(s, cmd);
    case 'RemoveNode':
      if (s.status === 'removed') return [];
      if (s.status === 'unregistered') throw new IpamError('NodeNotFound', `node ${cmd.node} is not registered`);
      return lifecycle(s, cmd);
    case 'RequestEniCreate': {
      mustBeActive(s, 'new ENIs');
      const count = 1 + Object.keys(s.enis).length + creatingIntents(s).length;
      if (count + 1 > s.limits.maxEnis) {
        throw new IpamError('LimitExceeded', `node ${s.node} has ${count} of ${s.limits.maxEnis} ENIs`, {
          node: s.node,
        });
      }
      const intentId = eventId(cmd, 0);
      return [
        { type: 'EniCreateRequested', data: { intentId, clientToken: intentId, subnetId: cmd.subnetId, why: cmd.why } },
      ];
    }
    case 'RequestEniAttach':
    case 'RequestEniDetach':
    case 'RequestEniDelete':
      return eniIntent(s, cmd);
    case 'RequestIpBind':
      return requestIpBind(s, cmd);
    case 'RequestIpUnbind':
      return requestIpUnbind(s, cmd);
    case 'AllocateIp':
      return allocateIp(s, cmd);
    case 'ReleaseIp': {
      const a = s.allocations[cmd.containerId];
      if (!a) return [];
      return [
        {
          type: 'IpReleased',
          data: { pod: a.pod, containerId: a.containerId, ip: a.ip, eniId: a.eniId, why: cmd.why },
        },
      ];
    }
    case 'AssignEni':
      return assignEni(s, cmd);
    case 'RecordIpsLost':
      return ipsLost(s, cmd);
    case 'ReturnEni': {
      const a = s.assignments[cmd.containerId];
      if (!a) return [];
      return [{ type: 'EniReturned', data: { pod: a.pod, containerId: a.containerId, eniId: a.eniId, why: cmd.why } }];
    }
    default:
      return outcome(s, cmd);
  }
};

/** The node stream as a Decider. */
export const nodeDecider: Decider<NodeCommand, Timed<NodeEvent>, NodeState> = {
  decide: decideNode,
  evolve: evolveNode,
  initialState: initialNodeState,
};
