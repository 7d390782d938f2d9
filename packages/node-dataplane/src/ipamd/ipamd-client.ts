import type { AllocateRequest, Allocation, FeedEvent, NodeState } from './api.js';

/**
 * The agent's only way to talk to ipamd. Owned here (by its consumer); ipamd implements the
 * HTTP side described in API.md.
 *
 * Errors are `IpamError`s: `PoolExhausted` (try again later), `IpamdUnavailable` (not reachable
 * or 5xx: try again later), `RevisionCompacted` (feed start is gone: reload `state()`),
 * `IpamdRejected` (4xx: the request is wrong, retrying will not help).
 */
export interface IpamdClient {
  /** Idempotent per containerId: a repeated call returns the first call's allocation. */
  allocate(req: AllocateRequest): Promise<Allocation>;
  /** Idempotent: releasing an unknown container succeeds. */
  release(containerId: string): Promise<void>;
  /** The node's projected state at one revision. */
  state(): Promise<NodeState>;
  /** Events with revision > `from`, in order, until `signal` aborts or the stream ends. */
  feed(from: number, signal: AbortSignal): AsyncIterable<FeedEvent>;
  /** Tells ipamd that the host reflects everything up to `revision`. */
  ack(revision: number): Promise<void>;
}
