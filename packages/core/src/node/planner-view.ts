import { nodePoolSettings } from '../cluster/cluster.js';
import type { ClusterConfig } from '../events/cluster-events.js';
import { compareIpv4 } from '../planner/order.js';
import type { PlannerEni, PlannerInput, PlannerIp, PoolMode } from '../planner/types.js';
import { availableFor, type SubnetState } from '../subnet/state.js';
import type { NodeIp, NodeState } from './state.js';

/** Id of the synthetic entry standing for the instance's primary ENI (eth0) in planner views. */
export const PRIMARY_ENI_ID = 'eth0';
/** Its subnet in planner views: the node's own subnet, never a configured container subnet. */
export const PRIMARY_ENI_SUBNET = 'node-subnet';

/**
 * The node's ENIs as the planner and its ordering helpers see them:
 * - the instance's primary ENI (never used for pods) as a synthetic `primary` entry;
 * - one `creating` entry per create intent (its id is the intent id);
 * - every ENI, its secondary IPs with `allocated` true when a pod holds the IP **or** the IP is
 *   held for a claim (`reservedFor`): such an IP is neither handed to another pod nor released
 *   by the pool rules (the claim path unbinds it);
 * - in exclusive mode the pod an ENI is assigned to.
 */
export const toPlannerEnis = (s: NodeState): PlannerEni[] => {
  const allocatedIps = new Set(Object.values(s.allocations).map((a) => a.ip));
  const assigned = new Map(Object.values(s.assignments).map((a) => [a.eniId, `${a.pod.namespace}/${a.pod.name}`]));
  const enis: PlannerEni[] = [
    { id: PRIMARY_ENI_ID, subnetId: PRIMARY_ENI_SUBNET, primary: true, state: 'attached', ips: [] },
  ];
  for (const i of Object.values(s.intents)) {
    if (i.op === 'create')
      enis.push({ id: i.intentId, subnetId: i.subnetId ?? '', primary: false, state: 'creating', ips: [] });
  }
  for (const e of Object.values(s.enis)) {
    // one array per ENI, sorted in place (the pool reconciler builds this view on every pass)
    const ips: PlannerIp[] = [];
    for (const ip in e.ips) {
      const i = e.ips[ip] as NodeIp;
      ips.push({ ip: i.ip, status: i.status, allocated: allocatedIps.has(i.ip) || i.reservedFor !== undefined });
    }
    ips.sort((a, b) => compareIpv4(a.ip, b.ip));
    const pe: PlannerEni = { id: e.eniId, subnetId: e.subnetId, primary: false, state: e.state, ips };
    const pod = assigned.get(e.eniId);
    if (pod !== undefined) pe.exclusivePod = pod;
    enis.push(pe);
  }
  return enis;
};

/** What the planner needs besides the node's own state. */
export interface PlannerContext {
  /** The cluster configuration in force. */
  config: ClusterConfig;
  /** States of the configured subnets, by id (their zone and free addresses). */
  subnets: Readonly<Record<string, SubnetState>>;
  /** Milliseconds since the epoch (from the controller's Clock). */
  now: number;
  /** Which pool: shared IPs (default) or whole ENIs. */
  mode?: PoolMode;
  /** Pods on the node still waiting for an address (from Kubernetes), counted as pods. */
  pendingPods?: number;
}

/**
 * Maps a node's state to the planner's input: the node's settings after overrides, its ENIs
 * (see {@link toPlannerEnis}), pods = holders + pending pods, and per configured subnet the
 * addresses this node may still take (`availableFor`: free, unclaimed, outside other nodes'
 * quotas).
 */
export const toPlannerInput = (s: NodeState, ctx: PlannerContext): PlannerInput => {
  const mode = ctx.mode ?? 'shared';
  const settings = nodePoolSettings(ctx.config, s.node);
  const holders = mode === 'shared' ? Object.keys(s.allocations).length : Object.keys(s.assignments).length;
  const input: PlannerInput = {
    now: ctx.now,
    mode,
    poolPolicy: settings.poolPolicy,
    limits: s.limits,
    preBind: settings.preBind,
    releaseIntervalMs: settings.releaseIntervalMs,
    pods: holders + (ctx.pendingPods ?? 0),
    enis: toPlannerEnis(s),
    subnets: ctx.config.subnets.flatMap((id) => {
      const sub = ctx.subnets[id];
      return sub?.registered ? [{ subnetId: id, zone: sub.zone, freeIps: availableFor(sub, s.node) }] : [];
    }),
    zone: s.zone,
  };
  if (s.lastReleaseAt !== undefined) input.lastReleaseAt = Date.parse(s.lastReleaseAt);
  if (s.status === 'draining') input.draining = true;
  return input;
};
