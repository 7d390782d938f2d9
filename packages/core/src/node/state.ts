import type { NodeLimits } from '../events/node-events.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { PodRef } from '../values/pod.js';

/** Life cycle of an ENI on a node. `detached`: exists in the VPC, attached to nothing. */
export type EniLifecycle = 'detached' | 'attaching' | 'attached' | 'detaching' | 'deleting';

/** A secondary IP of an ENI. */
export interface NodeIp {
  ip: Ipv4;
  /** `binding`/`unbinding`: the cloud call is in flight. */
  status: 'binding' | 'bound' | 'unbinding';
  /** `namespace/name` of the pod this address is held for (a claim); no other pod gets it. */
  reservedFor?: string;
}

export interface NodeEni {
  eniId: string;
  subnetId: string;
  primaryIp: Ipv4;
  mac: string;
  state: EniLifecycle;
  deviceIndex?: number;
  /** Secondary IPs by address. */
  ips: Readonly<Record<Ipv4, NodeIp>>;
}

/** A shared-mode pod allocation, keyed by container id. */
export interface Allocation {
  containerId: string;
  pod: PodRef;
  ip: Ipv4;
  eniId: string;
}

/** An exclusive-mode ENI assignment, keyed by container id. */
export interface Assignment {
  containerId: string;
  pod: PodRef;
  eniId: string;
}

/** A cloud intent not yet resolved by an outcome. */
export interface PendingIntent {
  intentId: string;
  op: 'create' | 'attach' | 'detach' | 'delete' | 'bind' | 'unbind';
  /** Absent for create (the ENI does not exist yet). */
  eniId?: string;
  subnetId?: string;
  ips?: readonly Ipv4[];
  forPod?: string;
}

/**
 * The projected state of one `node/<name>` stream. Plain JSON (records, not maps) so it can
 * be snapshotted as is.
 */
export interface NodeState {
  /** Events applied: the stream version this state is at. */
  version: number;
  status: 'unregistered' | 'active' | 'draining' | 'removed';
  node: string;
  instanceId: string;
  zone: string;
  limits: NodeLimits;
  enis: Readonly<Record<string, NodeEni>>;
  /** Unresolved intents by intent id (event id of the intent). */
  intents: Readonly<Record<string, PendingIntent>>;
  allocations: Readonly<Record<string, Allocation>>;
  assignments: Readonly<Record<string, Assignment>>;
  /** Last refusal per container id still waiting (cleared when it gets an address). */
  refusals: Readonly<Record<string, { code: string; reason: string }>>;
  /** ISO time of the last IP unbind or ENI detach request (slow release pacing). */
  lastReleaseAt?: string;
  /**
   * Set when the limits shrank below what the node holds: the larger limits the excess was
   * taken under. Cleared once the node fits its limits again. Invariant 3 tolerates the excess
   * up to these while it is being trimmed; no decision adds beyond the current limits.
   */
  graceLimits?: NodeLimits;
}

/** ENIs the node counts against maxEnis: its primary ENI, its ENIs and creations in flight. */
export const eniCount = (s: NodeState): number => 1 + Object.keys(s.enis).length + creatingIntents(s).length;
/** The most secondary slots used on one ENI of the node. */
export const maxSlotsUsed = (s: NodeState): number => Math.max(0, ...Object.values(s.enis).map(usedSlots));
/** True if the node's ENIs and IPs fit these limits. */
export const fitsLimits = (s: NodeState, l: NodeLimits): boolean =>
  eniCount(s) <= l.maxEnis && maxSlotsUsed(s) <= l.ipsPerEni - 1;

export const initialNodeState = (): NodeState => ({
  version: 0,
  status: 'unregistered',
  node: '',
  instanceId: '',
  zone: '',
  limits: { maxEnis: 1, ipsPerEni: 1 },
  enis: {},
  intents: {},
  allocations: {},
  assignments: {},
  refusals: {},
});

/** The allocation of a container, if any (after AllocateIp: success check). */
export const allocationOf = (s: NodeState, containerId: string): Allocation | undefined => s.allocations[containerId];
/** The standing refusal of a container, if any (after AllocateIp/AssignEni: why not). */
export const refusalOf = (s: NodeState, containerId: string): { code: string; reason: string } | undefined =>
  s.refusals[containerId];
/** ENIs in flight to be created (create intents). */
export const creatingIntents = (s: NodeState): PendingIntent[] =>
  Object.values(s.intents).filter((i) => i.op === 'create');
/** Secondary IP slots used on an ENI (every status counts: an unbinding IP still occupies one). */
export const usedSlots = (eni: NodeEni): number => Object.keys(eni.ips).length;

/**
 * Bound addresses held for a claim that no pod of this node uses and no intent touches: left
 * behind when a claimed pod went away before its address was allocated or when an unbind
 * failed. The claim controller unbinds them (`RequestIpUnbind`).
 */
export const idleClaimedIps = (s: NodeState): { eniId: string; ip: string; reservedFor: string }[] => {
  const used = new Set(Object.values(s.allocations).map((a) => a.ip));
  return Object.values(s.enis).flatMap((e) =>
    Object.values(e.ips)
      .filter((i) => i.status === 'bound' && i.reservedFor !== undefined && !used.has(i.ip))
      .map((i) => ({ eniId: e.eniId, ip: i.ip, reservedFor: i.reservedFor as string })),
  );
};
