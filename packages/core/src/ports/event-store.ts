/**
 * The event log port. Implemented by `@eni-ipam/store` on etcd (and by its in-memory twin for
 * unit tests). The semantics below are the contract both implementations are tested against.
 */

/**
 * Stream names: `cluster`, `node/<nodeName>` (a Kubernetes node name: DNS-1123 subdomain) or
 * `subnet/<subnetId>` (`subnet-` + 8 lowercase alphanumerics).
 */
export type StreamName = string;

/** Who wrote an event: the ipamd replica and the leader term (fencing revision) it wrote under. */
export interface Writer {
  replica: string;
  term: number;
}

/** What led to an event: a pod, a command, a cloud request; all optional, for the audit trail. */
export interface Cause {
  commandId?: string;
  podUid?: string;
  containerId?: string;
  cloudRequestId?: string;
  /** The id of the event this one follows from (an outcome names its intent). */
  eventId?: string;
}

/** An event as the caller proposes it; the store assigns nothing but its position. */
export interface EventEnvelope<T extends string = string, D = unknown> {
  /** Unique id; also the idempotency key of the append (a re-appended id is recognised). */
  id: string;
  stream: StreamName;
  /** Position in its stream, 1-based, gapless. */
  seq: number;
  /** Past tense, e.g. `IpAllocated`. */
  type: T;
  /** Schema version of `data` for this type. */
  v: number;
  /** ISO-8601 time the decision was made (from the command, not the store's clock). */
  at: string;
  by: Writer;
  cause: Cause;
  data: D;
}

/** An event read back from the log, with its global position. */
export type RecordedEvent<E extends EventEnvelope = EventEnvelope> = E & {
  /** Global position: the etcd revision of the transaction that appended it. Events of one
   *  append share a revision; within a revision they are ordered as they were appended. */
  revision: number;
};

/** Append to one stream, expecting its current version (its last seq; 0 for a new stream). */
export interface StreamAppend {
  stream: StreamName;
  expectedVersion: number;
  /** Events in order; each `seq` must be expectedVersion+1, +2, ... and `stream` this stream. */
  events: readonly EventEnvelope[];
}

/** The leader's fencing token: an append carrying it fails atomically once leadership moved. */
export interface FencingToken {
  /** The election key this leader holds. */
  key: string;
  /** That key's create revision: the term. */
  createRevision: number;
}

export interface AppendOptions {
  fence?: FencingToken;
  /** Give up (and resolve by read-back) after this many ms. */
  timeoutMs?: number;
}

export interface AppendResult {
  /** Global position of the append. */
  revision: number;
}

export interface ReadPage {
  events: RecordedEvent[];
  /** Pass as `fromRevision` to continue; equals the last event's revision + 1 when `more`. */
  nextRevision: number;
  more: boolean;
}

/** A projection snapshot at a stream seq and a global revision. */
export interface Snapshot<S = unknown> {
  name: string;
  seq: number;
  revision: number;
  state: S;
}

export interface Subscription {
  close(): Promise<void>;
  /** Settles when the subscription stops: resolves after `close()`, rejects with the error
   *  that stopped it on its own (`CorruptLog`, the decoder's error, `RevisionCompacted`). */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  /** Only streams with this prefix, e.g. `node/ip-10-0-0-1`. Default: every stream. */
  streamPrefix?: string;
  /** Called when `fromRevision` is no longer available (compacted away); the subscriber
   *  reloads from a snapshot and returns the revision to continue from. Without it the
   *  subscription ends with a `RevisionCompacted` error. */
  onCompacted?: (compactRevision: number) => Promise<number>;
}

/**
 * The log. Guarantees:
 * - `append` of several streams is atomic: all streams advance or none (one etcd txn).
 * - Optimistic concurrency: a stream whose version is not `expectedVersion` fails the append with
 *   `StreamVersionConflict` and nothing of that append is written.
 * - Idempotency: appending an event whose id is already at that seq of that stream returns
 *   the original result (an ambiguous earlier attempt did commit) instead of a conflict.
 * - Fencing: with `fence`, the append fails with `NotLeader` if the fencing key is gone or
 *   has another create revision; nothing is written.
 * - Readers see events in revision order; per stream in seq order, gapless.
 * - Unknown or malformed stored events stop a reader with `CorruptLog` / `UnknownEventType`
 *   naming the key; they are never skipped.
 */
export interface EventStore {
  append(streams: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream with seq >= fromSeq (1-based), in order, up to `limit`. */
  readStream(stream: StreamName, fromSeq?: number, limit?: number): Promise<RecordedEvent[]>;
  /** The stream's current version (last seq), 0 if it does not exist. */
  streamVersion(stream: StreamName): Promise<number>;
  /** All events with revision >= fromRevision, paginated, in global order. */
  readAll(fromRevision: number, limit?: number): Promise<ReadPage>;
  /** The log's current global revision (the position a new reader is at after a full read). */
  headRevision(): Promise<number>;
  /** Catch up from `fromRevision`, then follow live; each batch holds whole revisions, in
   *  order, exactly once. The handler's promise is awaited before the next batch. */
  subscribe(
    fromRevision: number,
    handler: (batch: readonly RecordedEvent[]) => Promise<void> | void,
    options?: SubscribeOptions,
  ): Subscription;
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  loadSnapshot<S>(name: string): Promise<Snapshot<S> | undefined>;
  /**
   * A number that grows with every save of the named snapshot, by any replica (undefined: never
   * saved). Cheap: nothing of the snapshot is read. Tells a replica whether another one saved.
   */
  snapshotStamp(name: string): Promise<number | undefined>;
}
