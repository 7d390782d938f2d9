import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type FencingToken,
  IpamError,
  type ReadPage,
  type RecordedEvent,
  type Snapshot,
  type StreamAppend,
  type StreamName,
  type SubscribeOptions,
  type Subscription,
} from '@eni-ipam/core';
import { validateAppend } from './envelope.js';
import { assertStreamName } from './keys.js';
import { appendCost, assertFits, batchesOfWholeRevisions, DEFAULT_LIMITS, type EtcdLimits } from './limits.js';

export interface InMemoryEventStoreOptions {
  /** The same limits the etcd store enforces, so unit tests meet them early. */
  limits?: EtcdLimits;
  /** Events per subscriber batch (whole revisions). Default 500. */
  batchSize?: number;
}

/**
 * The in-memory twin of the etcd store, for unit tests of core and ipamd: the same
 * expected-version, idempotent-append, fencing and subscribe-from-position semantics, checked by
 * the same contract suite (`eventStoreContract`). Revisions start at 1 and grow by one per append.
 *
 * @example
 *   const store = new InMemoryEventStore();
 *   const fence = store.grantLeadership('replica-a');
 *   await store.append([{ stream: 'cluster', expectedVersion: 0, events: [e1] }], { fence });
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly snapshotStamps = new Map<string, number>();
  private snapshotSaves = 0;
  private readonly leaders = new Map<string, number>();
  private revision = 0;
  private waiters: (() => void)[] = [];
  private readonly limits: EtcdLimits;
  private readonly batchSize: number;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.batchSize = options.batchSize ?? 500;
  }

  /** Test helper: makes `key` a leader key (as an election would) and returns its fencing token. */
  grantLeadership(key: string): FencingToken {
    this.revision += 1;
    this.leaders.set(key, this.revision);
    return { key, createRevision: this.revision };
  }

  /** Test helper: the leader key is gone (resigned or lease expired). */
  revokeLeadership(key: string): void {
    this.leaders.delete(key);
  }

  async append(streams: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    validateAppend(streams);
    const values = streams.flatMap((s) => s.events.map((e) => JSON.stringify(e).length + 16));
    assertFits(appendCost(streams, values, 64), this.limits, options.fence !== undefined);
    const replay = this.idempotentReplay(streams);
    if (replay !== undefined) return { revision: replay };
    const { fence } = options;
    if (fence && this.leaders.get(fence.key) !== fence.createRevision) {
      throw new IpamError('NotLeader', `fencing key ${fence.key} is gone or belongs to another term`, {
        key: fence.key,
      });
    }
    for (const s of streams) {
      const version = this.streams.get(s.stream)?.length ?? 0;
      if (version !== s.expectedVersion) {
        throw new IpamError(
          'StreamVersionConflict',
          `stream ${s.stream} is at ${version}, append expected ${s.expectedVersion}`,
          { stream: s.stream, expected: s.expectedVersion, actual: version },
        );
      }
    }
    this.revision += 1;
    const revision = this.revision;
    for (const s of streams) {
      const list = this.streams.get(s.stream) ?? [];
      for (const e of s.events) {
        const rec = { ...structuredClone(e), revision };
        list.push(rec);
        this.log.push(rec);
      }
      this.streams.set(s.stream, list);
    }
    this.wake();
    return { revision };
  }

  /** The revision of an earlier identical append (every stream's first event already there), if any. */
  private idempotentReplay(streams: readonly StreamAppend[]): number | undefined {
    let revision: number | undefined;
    for (const s of streams) {
      const first = s.events[0];
      const stored = first && this.streams.get(s.stream)?.[first.seq - 1];
      if (!stored || stored.id !== first.id) return undefined;
      revision = stored.revision;
    }
    return revision;
  }

  async readStream(stream: StreamName, fromSeq = 1, limit = Number.MAX_SAFE_INTEGER): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const list = this.streams.get(stream) ?? [];
    return structuredClone(list.slice(Math.max(0, fromSeq - 1), Math.max(0, fromSeq - 1) + limit));
  }

  async streamVersion(stream: StreamName): Promise<number> {
    assertStreamName(stream);
    return this.streams.get(stream)?.length ?? 0;
  }

  async readAll(fromRevision: number, limit = 1000): Promise<ReadPage> {
    const rest = this.log.filter((e) => e.revision >= fromRevision);
    const page = batchesOfWholeRevisions(rest, limit)[0] ?? [];
    const last = page[page.length - 1];
    return {
      events: structuredClone(page),
      nextRevision: last ? last.revision + 1 : Math.max(fromRevision, this.revision + 1),
      more: rest.length > page.length,
    };
  }

  async headRevision(): Promise<number> {
    return this.revision;
  }

  subscribe(
    fromRevision: number,
    handler: (batch: readonly RecordedEvent[]) => Promise<void> | void,
    options: SubscribeOptions = {},
  ): Subscription {
    let closed = false;
    let wakeClose: () => void = () => {};
    const prefix = options.streamPrefix;
    const run = async (): Promise<void> => {
      let next = fromRevision;
      while (!closed) {
        const batch = this.log.filter((e) => e.revision >= next && (!prefix || e.stream.startsWith(prefix)));
        if (batch.length === 0) {
          next = Math.max(next, this.revision + 1);
          await new Promise<void>((resolve) => {
            wakeClose = resolve;
            this.waiters.push(resolve);
          });
          continue;
        }
        for (const b of batchesOfWholeRevisions(batch, this.batchSize)) {
          if (closed) return;
          await handler(structuredClone(b));
          next = (b[b.length - 1] as RecordedEvent).revision + 1;
        }
      }
    };
    const done = run();
    done.catch(() => {});
    return {
      done,
      close: async () => {
        closed = true;
        wakeClose();
        await done.catch(() => {});
      },
    };
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.snapshots.set(snapshot.name, structuredClone(snapshot));
    this.snapshotStamps.set(snapshot.name, ++this.snapshotSaves);
  }

  async snapshotStamp(name: string): Promise<number | undefined> {
    return this.snapshotStamps.get(name);
  }

  async loadSnapshot<S>(name: string): Promise<Snapshot<S> | undefined> {
    const s = this.snapshots.get(name);
    return s ? (structuredClone(s) as Snapshot<S>) : undefined;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
