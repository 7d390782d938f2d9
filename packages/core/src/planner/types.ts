/**
 * The pool planner's own view of a node, and the plan it returns.
 *
 * The planner is a pure function `planPool(input) -> PoolPlan`: the domain maps a node's
 * projection (and its subnets' free counts) to a {@link PlannerInput}; a controller executes the
 * plan through the cloud executor, whose outcome events change the node state; the planner runs
 * again on the new state. Time arrives as `now`; nothing is read from the clock.
 *
 * Counting conventions (fixed, shared with the domain through {@link maxBindableIps}):
 * - the node's primary ENI (`eth0`, `primary: true`) never carries pod IPs: in TKE shared mode pod
 *   IPs live on secondary ENIs only, and in exclusive mode the primary ENI stays with the host;
 * - on every ENI the ENI's own primary IP is never a pod IP, so `ips` lists secondary IPs only;
 * - therefore a node can bind at most `(maxEnis - 1) x (ipsPerEni - 1)` pod IPs (shared mode) and
 *   hand out at most `maxEnis - 1` exclusive ENIs (exclusive mode).
 *
 * In-flight work is carried by the states themselves and counted once: a `binding` IP counts as
 * bound, an `unbinding` IP still occupies its slot on the ENI but no longer counts as bound, a
 * `creating` ENI means no second creation is planned, an `attaching` ENI counts as capacity
 * that is on its way.
 */
import type { IpamErrorCode } from '../errors.js';
import type { InstanceEniLimits, Ipv4 } from '../ports/vpc-api.js';

/** `shared`: pods get secondary IPs on shared ENIs. `exclusive`: each pod gets a whole ENI. */
export type PoolMode = 'shared' | 'exclusive';

/**
 * `warm`: keep a pre-bound pool within [pods + min, pods + max].
 * `on-demand`: the product's static mode; nothing pre-bound, one ENI per node (shared mode)
 * whose whole IP quota must fit its subnet, binding happens per pod outside the planner.
 */
export type PoolPolicy = 'warm' | 'on-demand';

/** ENI limits of the node's instance type; both counts include the primary ENI / primary IP. */
export type PlannerLimits = InstanceEniLimits;

/** Pre-bind bounds: IPs (shared) or ENIs (exclusive) kept beyond the pods that use them. */
export interface PreBind {
  min: number;
  max: number;
}

/**
 * Life cycle of an ENI as the planner sees it.
 * - `creating`: a create intent is in flight (the id may be the intent's placeholder id);
 * - `detached`: exists in the VPC, attached to nothing (just created, or detach completed);
 * - `attaching` / `attached` / `detaching`: attachment to this node;
 * - `deleting`: a delete intent is in flight.
 */
export type PlannerEniState = 'creating' | 'detached' | 'attaching' | 'attached' | 'detaching' | 'deleting';

/** `binding`/`unbinding`: the cloud call is in flight; `bound`: in effect on the ENI. */
export type PlannerIpStatus = 'binding' | 'bound' | 'unbinding';

/** A secondary IP of an ENI (never the ENI's primary IP). */
export interface PlannerIp {
  ip: Ipv4;
  status: PlannerIpStatus;
  /** Held by a pod (live or being set up). Allocated IPs are never released by the planner. */
  allocated: boolean;
}

export interface PlannerEni {
  id: string;
  subnetId: string;
  /** The instance's primary ENI (eth0): never used for pods, never detached or deleted. */
  primary: boolean;
  state: PlannerEniState;
  /** Secondary IPs only (shared mode). */
  ips: readonly PlannerIp[];
  /** Exclusive mode: the pod (uid or namespace/name) this ENI is handed to. */
  exclusivePod?: string;
  /**
   * Exclusive static mode: the ENI is kept for this claim (pod name) while its pod is away.
   * The planner never counts, attaches, detaches or deletes a claimed ENI.
   */
  claimedBy?: string;
}

/** A configured subnet. `freeIps`: addresses neither bound, reserved for a node, nor claimed. */
export interface PlannerSubnet {
  subnetId: string;
  zone: string;
  freeIps: number;
}

export interface PlannerInput {
  /** Milliseconds since the Unix epoch. */
  now: number;
  mode: PoolMode;
  poolPolicy: PoolPolicy;
  limits: PlannerLimits;
  preBind: PreBind;
  /** Slow release: at most one idle IP (shared) or ENI (exclusive) per interval above pods + max. */
  releaseIntervalMs: number;
  /** When the last slow release was planned or recorded; absent = never. */
  lastReleaseAt?: number;
  /** Pods using this pool on the node, including pending ones still waiting for an IP or ENI. */
  pods: number;
  /** Every ENI of the node, the primary one included. */
  enis: readonly PlannerEni[];
  /** The configured subnets (any zone); ENIs in unlisted subnets get no new binds. */
  subnets: readonly PlannerSubnet[];
  /** The node's availability zone. */
  zone: string;
  /** The node is going away: no binds, no creations; everything idle is released. */
  draining?: boolean;
}

/** Every action says why; the intent event records it. */
export type PlanAction =
  | { kind: 'bindIps'; eniId: string; subnetId: string; count: number; why: string }
  /** `paced`: this is the interval's one slow release; record it as such (`slowRelease`). */
  | { kind: 'unbindIps'; eniId: string; ips: readonly Ipv4[]; why: string; paced?: true }
  | { kind: 'createEni'; subnetId: string; why: string }
  | { kind: 'attachEni'; eniId: string; why: string }
  | { kind: 'detachEni'; eniId: string; why: string; paced?: true }
  | { kind: 'deleteEni'; eniId: string; why: string };

export type PlanActionKind = PlanAction['kind'];

/** Why the pool cannot reach its target; the node says so (Kubernetes Event, status). */
export interface PlanRefusal {
  code: Extract<IpamErrorCode, 'NoSubnetInZone' | 'SubnetExhausted'>;
  reason: string;
}

/** The numbers the plan was computed from (for logs, metrics and `ipamctl`). */
export interface PlanFigures {
  /** IPs (shared) or ENIs (exclusive) counted as bound, in-flight binds included. */
  bound: number;
  /** IPs (shared) or ENIs (exclusive) held by pods. */
  inUse: number;
  /** The bounds after capping at max bindable: [low, high]. */
  low: number;
  high: number;
  /** `maxBindableIps` (shared) or `maxExclusiveEnis` (exclusive). */
  maxBindable: number;
}

export interface PoolPlan {
  actions: PlanAction[];
  /** One line per decision, in order; empty reasons are never emitted. */
  explain: string[];
  figures: PlanFigures;
  /** Set when a slow release is wanted but not yet due: when to plan again. */
  nextReleaseAt?: number;
  /**
   * Set (to `now`) when the plan holds the interval's one slow release: the caller records it
   * and passes it back as `lastReleaseAt`. Trims and drains are not paced and leave it unset.
   */
  slowReleaseAt?: number;
  refusal?: PlanRefusal;
}

/** An IP picked on an ENI. */
export interface PickedIp {
  eniId: string;
  ip: Ipv4;
}

/** The result of choosing a subnet: the subnet, or a refusal saying why none fits. */
export type SubnetPick = { ok: true; subnet: PlannerSubnet } | { ok: false; refusal: PlanRefusal };
