import type { api } from '@eni-ipam/core';
import type { Principal } from '../auth/authenticator.js';

/** Who asked and under which correlation id; passed to every write for the event's `cause`. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
}

/**
 * What the HTTP layer needs from ipamd; the composition root implements it over the
 * projections, the deciders and the event store. The HTTP layer validates every input first
 * (node name, body, container id, credentials), so implementations receive only well-formed
 * values. Errors are `IpamError`s; their codes become statuses in `statusOf`.
 */
export interface IpamService {
  /** True when the node is known (registered in the log). Read from the projection. */
  hasNode(node: string): Promise<boolean>;
  /** Allocates for a pod; idempotent per containerId (a repeat returns the first allocation). */
  allocate(node: string, req: api.AllocateRequest, ctx: RequestContext): Promise<api.Allocation>;
  /** Releases a container's address; releasing an unknown container succeeds. */
  release(node: string, containerId: string, ctx: RequestContext): Promise<void>;
  /** The node's projection at one revision. */
  nodeState(node: string): Promise<api.NodeState>;
  /**
   * Opens the node's feed: events with revision > `from`, in order. Rejects with
   * `IpamError('RevisionCompacted')` when `from` is older than what can be replayed (the agent
   * then reloads the state). The iterable ends when `signal` aborts (the client went away or
   * the server closes) and must stop waiting at once then.
   */
  nodeFeed(node: string, from: number, signal: AbortSignal): Promise<AsyncIterable<api.FeedEvent>>;
  /** Records that the node's host reflects every event up to `revision`. */
  ack(node: string, revision: number, ctx: RequestContext): Promise<void>;
  listNodes(): Promise<api.NodeList>;
  node(node: string): Promise<api.NodeDetail>;
  enis(): Promise<api.EniList>;
  claims(): Promise<api.ClaimList>;
  /** Liveness: the process works (event loop, no fatal state). */
  health(): Promise<api.Probe>;
  /** Readiness: projections caught up, store reachable; a follower is ready too. */
  ready(): Promise<api.Probe>;
}

/** Where a write goes on this replica. */
export type WriteRoute =
  | { kind: 'local' }
  /** Forward to the leader at this base URL (e.g. `https://10.0.0.5:9090`). */
  | { kind: 'forward'; leaderUrl: string }
  /** No leader known (election in progress): 503 NotLeader, retry shortly. */
  | { kind: 'unavailable'; reason: string };

/**
 * Tells the HTTP layer whether this replica may write. Followers forward writes to the leader
 * (transparently: the agent's `fetch` would drop its Authorization header on a cross-origin
 * redirect, so a 307 would not work); reads are served from local projections.
 */
export interface LeaderRouter {
  routeWrite(): WriteRoute;
}

/** A single replica, or tests: every write is local. */
export const localOnly: LeaderRouter = { routeWrite: () => ({ kind: 'local' }) };
