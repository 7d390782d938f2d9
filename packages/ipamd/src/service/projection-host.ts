import {
  AUDIT_EVENT_TYPES,
  type AuditIndex,
  applyAudit,
  applyEventsOwned,
  type ClaimEntry,
  claimsIndex,
  compactor,
  compactStates,
  type DecodedEvent,
  decodeRecorded,
  type EventStore,
  emptyAuditIndex,
  emptyProjection,
  IpamError,
  initialNodeState,
  initialSubnetState,
  isIpamError,
  type NodePoolView,
  type NodeState,
  nodePoolView,
  notOwned,
  type Owned,
  type Projection,
  type RecordedEvent,
  type SubnetPoolView,
  type SubnetState,
  type Subscription,
  subnetPoolView,
} from '@eni-ipam/core';

/** What an ENI was created as; kept after the ENI is gone so old feed events can be rendered. */
export interface EniFacts {
  eniId: string;
  node: string;
  subnetId: string;
  primaryIp: string;
  mac: string;
}

export interface ProjectionHostOptions {
  store: EventStore;
  /** Snapshot name in the store. Default `ipamd-projection`. */
  snapshotName?: string;
  /** Save a snapshot after this many applied events (0: never on its own). Default 5000. */
  snapshotEvery?: number;
  /** Keep the audit index (per-IP/pod/ENI history). Default true. */
  audit?: boolean;
  /** Events per catch-up page. Default 5000. */
  pageSize?: number;
  /**
   * Called when a catch-up read finds etcd unavailable (a member down or cut off, no quorum yet);
   * the read is tried again with backoff, and the host stays not ready meanwhile.
   */
  onUnavailable?: (what: string, error: unknown, retryInMs: number) => void;
  /**
   * True while this replica leads. The leader answers every allocation, and a periodic snapshot
   * (about 100 MB of JSON at 5,000 nodes x 110 pods) competes with them for its event loop, so
   * while other replicas save it the leader does not: at each of its periods it reads the store's
   * snapshot stamp, and saves only when no replica has saved for two periods (it runs alone, or
   * the followers are down). Default: never leading, so every period saves.
   */
  leading?: () => boolean;
}

/** What a snapshot holds: the stream states plus the ENI facts the feed needs. */
interface SnapshotState {
  projection: Projection;
  enis: Record<string, EniFacts>;
}

type Listener = (events: readonly DecodedEvent[]) => void;

/** Stream states compacted between two yields to the event loop. */
const COMPACT_SLICE = 200;

/**
 * Keeps every stream's state hot from the log: loads the snapshot (if any), catches up with
 * paginated `readAll` reads, then follows `subscribe`. `ready` resolves once caught up to the log
 * as it was at start. Writers use `waitFor` / `waitForStream` to read their own writes.
 *
 * Why catch-up is our own loop: the store's head revision is etcd's, which also moves for keys
 * that are not events (leader keys, snapshots), so "applied >= head" is not a usable readiness
 * test; a readAll that reports no more events is.
 *
 * @example
 *   const host = new ProjectionHost({ store });
 *   await host.start();
 *   const node = host.node('n1');
 */
export class ProjectionHost {
  private p: Projection = emptyProjection();
  /** The maps of `p` this host copied itself and handed to nobody: changed in place by the next batch. */
  private owned: Owned = notOwned();
  private auditIdx: AuditIndex = emptyAuditIndex();
  /** Every ENI ever created (kept after deletion, for history): the host's own map, changed in place. */
  private eniFacts = new Map<string, EniFacts>();
  private sub: Subscription | undefined;
  private waiters: { test: () => boolean; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private listeners = new Set<Listener>();
  private sinceSnapshot = 0;
  /** The store's snapshot stamp at this leader's last period, and periods since it last changed. */
  private stampSeen: number | undefined;
  private quietPeriods = 0;
  private failure: unknown;
  private caughtUp = false;
  /** Audit index complete (false while it is rebuilt below a snapshot, see `backfillAudit`). */
  private auditComplete = true;
  /** Events applied while the audit index is rebuilt: folded on top of it once built. */
  private auditPending: DecodedEvent[] = [];
  private auditRun = 0;
  private compactRun = 0;
  /** The loaded snapshot's states are compacted (see `compactLoaded`). */
  private compacted = true;
  private auditError: unknown;
  private readonly o: Required<Omit<ProjectionHostOptions, 'onUnavailable' | 'leading'>> &
    Pick<ProjectionHostOptions, 'onUnavailable' | 'leading'>;
  private stopped = false;

  constructor(options: ProjectionHostOptions) {
    this.o = { snapshotName: 'ipamd-projection', snapshotEvery: 5000, audit: true, pageSize: 5000, ...options };
  }

  /** A start-up read, tried again while etcd is unavailable (reads are idempotent), until stop(). */
  private async retrying<T>(what: string, read: () => Promise<T>): Promise<T> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await read();
      } catch (e) {
        if (!isIpamError(e, 'StoreUnavailable') || this.stopped) throw e;
        this.o.onUnavailable?.(what, e, delay);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Loads the snapshot, catches up, then follows the log. Resolves when caught up (ready). */
  async start(): Promise<void> {
    const snap = await this.retrying('load the snapshot', () =>
      this.o.store.loadSnapshot<SnapshotState>(this.o.snapshotName),
    );
    // the audit index below the snapshot is rebuilt once caught up: it must not slow the start
    const backfill = snap ? this.backfillAudit(snap.state.projection) : undefined;
    if (snap) {
      this.p = snap.state.projection;
      this.eniFacts = new Map(Object.entries(snap.state.enis));
    }
    let from = this.p.revision + 1;
    for (;;) {
      const at = from;
      const page = await this.retrying(`read the log from revision ${at}`, () =>
        this.o.store.readAll(at, this.o.pageSize),
      );
      this.applyBatch(page.events);
      from = page.nextRevision;
      if (!page.more) break;
    }
    this.caughtUp = true;
    backfill?.();
    if (snap) this.compactLoaded(snap.state.projection);
    this.sub = this.o.store.subscribe(this.p.revision + 1, (batch) => this.applyBatch(batch), {
      onCompacted: (available) => this.jumpToSnapshot(available),
    });
    this.sub.done.then(
      () => undefined,
      (e: unknown) => this.fail(e),
    );
    this.settle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sub?.close();
    this.sub = undefined;
    this.fail(new IpamError('StoreUnavailable', 'projection host stopped'));
  }

  /** True once caught up with the log as it was at start, and not failed. */
  get ready(): boolean {
    return this.caughtUp && this.failure === undefined;
  }

  /** Why the host stopped following the log (a corrupt event, a compacted position...). */
  get failed(): unknown {
    return this.failure;
  }

  /** Global revision of the last applied event. */
  get appliedRevision(): number {
    return this.p.revision;
  }

  /**
   * The whole projection, live: its node and subnet maps change as events are applied (the states
   * in them are values, replaced on every event). Read it synchronously; across awaits, use
   * `stableProjection`.
   */
  get projection(): Projection {
    return this.p;
  }

  /**
   * The projection as it is now, never changed afterwards: the host forgets that it owns the
   * maps, so the next event copies each map before it changes it (once; later events change the
   * copy in place). For a reader that holds it across awaits, such as the snapshot save.
   */
  stableProjection(): Projection {
    this.owned = notOwned();
    return this.p;
  }

  get audit(): AuditIndex {
    return this.auditIdx;
  }

  /** True when the audit index covers every applied event (false while rebuilt after a snapshot). */
  get auditReady(): boolean {
    return this.o.audit && this.auditComplete && this.ready;
  }

  /** Resolves when the audit index is complete (for tests and the bench). */
  waitForAudit(timeoutMs = 300_000): Promise<void> {
    return this.waitUntil(() => this.auditComplete, timeoutMs, 'the audit index');
  }

  /** Resolves when the states of the loaded snapshot are compacted (for the bench). */
  waitForCompaction(timeoutMs = 300_000): Promise<void> {
    return this.waitUntil(() => this.compacted, timeoutMs, 'the compaction of the snapshot');
  }

  /**
   * A snapshot's states come from JSON.parse: keyed maps in V8's fast mode with a hidden class
   * per key sequence, every repeated string a copy of its own (`compactProjection` says more).
   * Once caught up they are compacted in slices between events, so the start does not wait for
   * it (at 550,000 allocations it costs about as much as reading the tail of the log).
   */
  private compactLoaded(loaded: Projection): void {
    const run = ++this.compactRun;
    this.compacted = false;
    const c = compactor();
    const nodes = Object.keys(loaded.nodes);
    const subnets = Object.keys(loaded.subnets);
    void (async () => {
      for (let i = 0; i < nodes.length + subnets.length; i += COMPACT_SLICE) {
        await new Promise((r) => setImmediate(r));
        if (run !== this.compactRun || this.stopped) return;
        const names = {
          nodes: nodes.slice(i, i + COMPACT_SLICE),
          subnets: subnets.slice(Math.max(0, i - nodes.length), Math.max(0, i + COMPACT_SLICE - nodes.length)),
        };
        this.p = compactStates(this.p, loaded, names, c);
      }
      this.compacted = true;
      this.settle();
    })();
  }

  /**
   * The snapshot holds the stream states but not the audit index (it outgrows one etcd value:
   * ~10^6 spans at a million events), so the index below the snapshot is rebuilt in the
   * background from the node streams the snapshot knows (`readStream` spans the archive and
   * etcd), events of audit-relevant types only, folded in revision order like ipamctl's replay;
   * events applied meanwhile are kept and folded on top. History is answered 503 until then;
   * allocation does not wait. A failure leaves the index incomplete and is kept in `auditFailure`.
   * From the call on, applied node events wait in `auditPending`; the reading starts when the
   * returned function is called (at start-up: once caught up, so it does not slow the start).
   */
  private backfillAudit(p: Projection): () => void {
    if (!this.o.audit) return () => undefined;
    const run = ++this.auditRun;
    this.auditComplete = false;
    this.auditPending = [];
    const streams = Object.entries(p.nodes).map(([name, s]) => [`node/${name}`, s.version] as const);
    const upTo = p.revision;
    return () =>
      void (async () => {
        const raw: RecordedEvent[] = [];
        for (const [stream, version] of streams) {
          if (version === 0) continue;
          for (const e of await this.o.store.readStream(stream, 1, version))
            if (e.revision <= upTo && AUDIT_EVENT_TYPES.has(e.type)) raw.push(e);
        }
        raw.sort((a, b) => a.revision - b.revision);
        const idx = emptyAuditIndex();
        for (const e of raw) applyAudit(idx, decodeRecorded(e));
        if (run !== this.auditRun) return; // a newer snapshot restarted the rebuild
        for (const e of this.auditPending) applyAudit(idx, e);
        this.auditIdx = idx;
        this.auditPending = [];
        this.auditComplete = true;
        this.settle();
      })().catch((e: unknown) => {
        if (run === this.auditRun) this.auditError = e;
      });
  }

  /** Why the audit index could not be rebuilt (undefined: fine; history then stays 503). */
  get auditFailure(): unknown {
    return this.auditError;
  }

  node(name: string): NodeState {
    return this.p.nodes[name] ?? initialNodeState();
  }

  subnet(id: string): SubnetState {
    return this.p.subnets[id] ?? initialSubnetState();
  }

  /** Core's pool view of a node (capacity, allocatable, why not) against the configured subnets' zones. */
  nodePoolView(name: string): NodePoolView {
    const configured = this.p.cluster.config?.subnets ?? [];
    const zones = configured.flatMap((id) => (this.p.subnets[id]?.registered ? [this.p.subnets[id].zone] : []));
    return nodePoolView(this.node(name), zones);
  }

  subnetPoolView(id: string): SubnetPoolView {
    return subnetPoolView(this.subnet(id));
  }

  claims(): Record<string, ClaimEntry> {
    return claimsIndex(Object.values(this.p.subnets));
  }

  eni(eniId: string): EniFacts | undefined {
    return this.eniFacts.get(eniId);
  }

  /** The applied version of a stream (its last seq), 0 when unknown. */
  streamVersion(stream: string): number {
    if (stream === 'cluster') return this.p.cluster.version;
    if (stream.startsWith('node/')) return this.p.nodes[stream.slice(5)]?.version ?? 0;
    if (stream.startsWith('subnet/')) return this.p.subnets[stream.slice(7)]?.version ?? 0;
    return 0;
  }

  /** Resolves once events up to `revision` are applied (read your writes). */
  waitFor(revision: number, timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(() => this.p.revision >= revision, timeoutMs, `revision ${revision}`);
  }

  /** Resolves once `stream` is applied up to `version`. */
  waitForStream(stream: string, version: number, timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(() => this.streamVersion(stream) >= version, timeoutMs, `${stream}@${version}`);
  }

  /** Resolves when `test` holds on the projection (checked after every applied batch). */
  waitUntil(test: () => boolean, timeoutMs = 30_000, what = 'a projection condition'): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (test()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new IpamError('StoreUnavailable', `timed out waiting for ${what}`, { timeoutMs }));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Called after each applied batch with its decoded events (fan-out to controllers). */
  onEvents(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Saves the projection as a snapshot now. */
  async saveSnapshot(): Promise<void> {
    // serialized in slices while events are applied: a projection that does not change meanwhile
    const state: SnapshotState = { projection: this.stableProjection(), enis: Object.fromEntries(this.eniFacts) };
    this.sinceSnapshot = 0;
    await this.o.store.saveSnapshot({ name: this.o.snapshotName, seq: 0, revision: this.p.revision, state });
  }

  /** A period's snapshot: saved, unless this replica leads and another one saves them (see `leading`). */
  private async periodicSnapshot(): Promise<void> {
    if (this.o.leading?.()) {
      const stamp = await this.o.store.snapshotStamp(this.o.snapshotName);
      const savedMeanwhile = stamp !== this.stampSeen;
      this.stampSeen = stamp;
      if (savedMeanwhile) {
        this.quietPeriods = 0;
        return;
      }
      if (++this.quietPeriods < 2) return;
    }
    this.quietPeriods = 0;
    await this.saveSnapshot();
  }

  /**
   * Events below `available` moved to the archive while we were behind: continue from the
   * newest snapshot if it covers them (controllers rescan on the next event), else stop.
   */
  private async jumpToSnapshot(available: number): Promise<number> {
    const snap = await this.o.store.loadSnapshot<SnapshotState>(this.o.snapshotName);
    if (!snap || snap.revision + 1 < available) {
      throw new IpamError('RevisionCompacted', `events before revision ${available} were archived past the snapshot`, {
        appliedRevision: this.p.revision,
        snapshotRevision: snap?.revision,
      });
    }
    if (snap.revision > this.p.revision) {
      this.p = snap.state.projection;
      this.eniFacts = new Map(Object.entries(snap.state.enis));
      this.backfillAudit(snap.state.projection)();
      this.compactLoaded(snap.state.projection);
      this.settle();
    }
    return this.p.revision + 1;
  }

  private applyBatch(batch: readonly RecordedEvent[]): void {
    const decoded: DecodedEvent[] = [];
    // events of one append share a revision: compare with the position before this batch
    const floor = this.p.revision;
    /** Versions of the streams this batch moved (the projection is folded once, at the end). */
    const versions = new Map<string, number>();
    for (const raw of batch) {
      if (raw.revision <= floor) continue; // already in the snapshot or a catch-up page
      const e = decodeRecorded(raw);
      const expected = (versions.get(e.stream) ?? this.streamVersion(e.stream)) + 1;
      if (e.seq !== expected) {
        // a gap (events archived without a snapshot covering them, or a reader bug): never fold on
        throw new IpamError('CorruptLog', `${e.stream} jumps from seq ${expected - 1} to ${e.seq} at ${e.id}`, {
          stream: e.stream,
          expected,
          seq: e.seq,
        });
      }
      versions.set(e.stream, e.seq);
      if (this.o.audit) {
        if (this.auditComplete) this.auditIdx = applyAudit(this.auditIdx, e);
        else if (e.stream.startsWith('node/')) this.auditPending.push(e);
      }
      if (e.type === 'EniCreated') {
        const { eniId, subnetId, primaryIp, mac } = e.data;
        this.eniFacts.set(eniId, { eniId, node: e.stream.slice(5), subnetId, primaryIp, mac });
      }
      decoded.push(e);
    }
    if (decoded.length === 0) return;
    // the maps this host copied and handed to nobody are changed in place (applyEventsOwned)
    this.p = applyEventsOwned(this.p, decoded, this.owned);
    this.sinceSnapshot += decoded.length;
    this.settle();
    for (const l of this.listeners) {
      try {
        l(decoded);
      } catch {
        // a controller's bug must not stop the projection; controllers report their own errors
      }
    }
    if (this.o.snapshotEvery > 0 && this.sinceSnapshot >= this.o.snapshotEvery) {
      this.sinceSnapshot = 0;
      this.periodicSnapshot().catch(() => {
        // a failed snapshot (or stamp read) only costs a longer replay at the next start
      });
    }
  }

  private settle(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.test()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(e);
  }
}
