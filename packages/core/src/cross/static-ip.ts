import { eventId, fold } from '../decider/decider.js';
import { IpamError } from '../errors.js';
import type { NodeEvent } from '../events/node-events.js';
import { decideNode } from '../node/decide.js';
import { evolveNode } from '../node/evolve.js';
import { pickIpInState } from '../node/pick.js';
import { type NodeEni, type NodeState, usedSlots } from '../node/state.js';
import { secondaryIpsPerEni } from '../planner/limits.js';
import { decideSubnet } from '../subnet/decide.js';
import { availableFor, type Claim, pickFreeAddresses, type SubnetState } from '../subnet/state.js';
import { podKey } from '../values/pod.js';
import type { CrossCommandOf } from './commands.js';
import type { CrossDecision } from './decide.js';
import { decideCross, subnetCmd, subnetOf } from './decide.js';

type Subnets = Readonly<Record<string, SubnetState>>;

/** The command meta and node of a command, for the commands it is decided through. */
const metaOf = (c: {
  id: string;
  at: string;
  by: { replica: string; term: number };
  cause?: object | undefined;
  node: string;
}) => ({
  id: c.id,
  at: c.at,
  by: c.by,
  node: c.node,
  ...(c.cause ? { cause: c.cause } : {}),
});

/** The claim of a pod name, in whichever configured subnet holds it. */
export const findClaim = (subnets: Subnets, key: string): { subnetId: string; claim: Claim } | undefined => {
  for (const id of Object.keys(subnets).sort()) {
    const claim = subnets[id]?.claims[key];
    if (claim) return { subnetId: id, claim };
  }
  return undefined;
};

/** Attached pool ENIs of the node with a free secondary slot, most allocated first (least ENI). */
const enisWithRoom = (node: NodeState, subnetId?: string): NodeEni[] => {
  const allocated = (eniId: string) => Object.values(node.allocations).filter((a) => a.eniId === eniId).length;
  const assigned = new Set(Object.values(node.assignments).map((a) => a.eniId));
  return Object.values(node.enis)
    .filter(
      (e) =>
        e.state === 'attached' &&
        !assigned.has(e.eniId) &&
        usedSlots(e) < secondaryIpsPerEni(node.limits) &&
        (subnetId === undefined || e.subnetId === subnetId),
    )
    .sort((a, b) => allocated(b.eniId) - allocated(a.eniId) || (a.eniId < b.eniId ? -1 : 1));
};

/**
 * A pod with a claim (policy Never, or any pod on an on-demand node). In order:
 * - its container already has an IP: nothing;
 * - it has a claim: the claimed address, allocated when bound on this node, else bound on an
 *   ENI of this node in the claim's subnet (the caller retries once IpsBound); refused with
 *   `ClaimConflict` while another pod or node still holds it, `ClaimInOtherSubnet` when the
 *   node has no ENI with room in that subnet (a static pod never moves across subnets);
 * - no claim, warm pool: a warm IP in least-ENI order, claimed;
 * - no claim, on-demand: the lowest free address of an ENI's subnet, bound for the pod, claimed.
 */
export const allocateStaticIp = (
  cmd: CrossCommandOf<'AllocateStaticIp'>,
  node: NodeState,
  subnets: Subnets,
): CrossDecision => {
  const key = podKey(cmd.pod);
  const asAllocate = { ...cmd, type: 'AllocateIp' as const };
  const { policy: _p, poolPolicy: _pp, ...plain } = asAllocate;
  if (node.status === 'unregistered' || node.status === 'removed') {
    throw new IpamError('NodeNotFound', `node ${cmd.node} is not registered`, { node: cmd.node });
  }
  const held = node.allocations[cmd.containerId];
  if (held || node.status === 'draining') return { node: decideNode(plain, node) };
  const refuse = (code: string, reason: string): CrossDecision =>
    node.refusals[cmd.containerId]?.code === code
      ? { node: [] }
      : {
          node: [
            {
              type: 'AllocationRefused',
              data: { pod: cmd.pod, containerId: cmd.containerId, mode: 'shared', code, reason },
            },
          ],
        };
  const allocated = (ip: string, eniId: string, why: string, policy: Claim['policy']): NodeEvent => ({
    type: 'IpAllocated',
    data: { pod: cmd.pod, containerId: cmd.containerId, ip, eniId, why, claim: policy },
  });
  const found = findClaim(subnets, key);
  if (found) {
    const { claim, subnetId } = found;
    if (claim.state === 'active' && claim.node !== cmd.node) {
      return refuse('ClaimConflict', `claimed IP ${claim.ip} is still used by the pod on node ${claim.node}`);
    }
    const eni = Object.values(node.enis).find((e) => e.ips[claim.ip] !== undefined);
    const ipHere = eni?.ips[claim.ip];
    const inUse = Object.values(node.allocations).some((a) => a.ip === claim.ip);
    if (eni && ipHere?.status === 'bound' && !inUse) {
      const reuse = decideSubnet(
        subnetCmd(cmd, subnetId, { type: 'ReuseClaim', pod: cmd.pod, node: cmd.node }),
        subnetOf(subnets, subnetId),
      );
      return {
        node: [allocated(claim.ip, eni.eniId, `the pod's claimed IP, bound on ${eni.eniId}`, claim.policy)],
        subnet: { subnetId, events: reuse },
      };
    }
    if (ipHere?.status === 'binding') return refuse('PoolExhausted', `claimed IP ${claim.ip} is being bound; retry`);
    if (eni || inUse)
      return refuse('ClaimConflict', `claimed IP ${claim.ip} is ${ipHere?.status ?? 'in use'} on this node`);
    const taken = subnetOf(subnets, subnetId).addresses[claim.ip];
    if (taken) {
      return refuse(
        'ClaimConflict',
        `claimed IP ${claim.ip} is still ${taken.status} on ENI ${taken.eniId} of node ${taken.node}`,
      );
    }
    const target = enisWithRoom(node, subnetId)[0];
    if (!target) {
      return refuse(
        'ClaimInOtherSubnet',
        `claimed IP ${claim.ip} is in ${subnetId}; the node has no attached ENI with room there`,
      );
    }
    const bind = decideCross(
      {
        ...metaOf(cmd),
        type: 'BindIps',
        eniId: target.eniId,
        ips: [claim.ip],
        forPod: key,
        why: `claimed IP of pod ${key}`,
      },
      node,
      subnets,
    );
    const reuse = decideSubnet(
      subnetCmd(cmd, subnetId, { type: 'ReuseClaim', pod: cmd.pod, node: cmd.node }),
      subnetOf(subnets, subnetId),
    );
    return { node: bind.node, subnet: { subnetId, events: [...(bind.subnet?.events ?? []), ...reuse] } };
  }
  const create = (subnetId: string, ip: string) =>
    decideSubnet(
      subnetCmd(cmd, subnetId, { type: 'CreateClaim', pod: cmd.pod, ip, policy: cmd.policy, node: cmd.node }),
      subnetOf(subnets, subnetId),
    );
  if (cmd.poolPolicy === 'warm') {
    const pick = pickIpInState(node);
    if (!pick) return refuse('PoolExhausted', 'pool empty and refilling');
    const subnetId = node.enis[pick.eniId]?.subnetId ?? '';
    return {
      node: [allocated(pick.ip, pick.eniId, `least ENI: warm IP on ${pick.eniId}, now claimed`, cmd.policy)],
      subnet: { subnetId, events: create(subnetId, pick.ip) },
    };
  }
  for (const eni of enisWithRoom(node)) {
    const subnet = subnets[eni.subnetId];
    if (!subnet?.registered || availableFor(subnet, cmd.node) < 1) continue;
    const [ip] = pickFreeAddresses(subnet, 1);
    if (ip === undefined) continue;
    const bind = decideCross(
      {
        ...metaOf(cmd),
        type: 'BindIps',
        eniId: eni.eniId,
        ips: [ip],
        forPod: key,
        why: `on-demand: new claimed IP for pod ${key}`,
      },
      node,
      subnets,
    );
    return {
      node: bind.node,
      subnet: { subnetId: eni.subnetId, events: [...(bind.subnet?.events ?? []), ...create(eni.subnetId, ip)] },
    };
  }
  return refuse('PoolExhausted', 'no attached ENI with room and a free address in its subnet; refilling');
};

/**
 * A claimed pod is gone: its IP is released and unbound at once (back to the VPC subnet, so the
 * name can take it on any node), and its claim deleted (`Immediate`) or retained (`Never`,
 * until the claim expiry). Unknown container: nothing (DEL is idempotent).
 */
export const releaseStaticIp = (
  cmd: CrossCommandOf<'ReleaseStaticIp'>,
  node: NodeState,
  subnets: Subnets,
): CrossDecision => {
  const a = node.allocations[cmd.containerId];
  if (!a) return { node: [] };
  const { claimExpiryMs: _x, ...rest } = cmd;
  const released = decideNode({ ...rest, type: 'ReleaseIp' }, node);
  const after = fold(evolveNode, node, released);
  const [unbind] = decideNode(
    { ...metaOf(cmd), type: 'RequestIpUnbind', eniId: a.eniId, ips: [a.ip], why: `static pod ${podKey(a.pod)} gone` },
    after,
  );
  const intentId = eventId(cmd, released.length);
  const events: NodeEvent[] = [...released];
  if (unbind?.type === 'IpUnbindRequested')
    events.push({ type: unbind.type, data: { ...unbind.data, intentId, clientToken: intentId } });
  const found = findClaim(subnets, podKey(a.pod));
  if (!found || found.claim.ip !== a.ip) return { node: events };
  const release = decideSubnet(
    subnetCmd(cmd, found.subnetId, { type: 'ReleaseClaim', pod: a.pod, claimExpiryMs: cmd.claimExpiryMs }),
    subnetOf(subnets, found.subnetId),
  );
  return { node: events, subnet: { subnetId: found.subnetId, events: release } };
};
