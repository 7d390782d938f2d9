import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  IpamError,
  type ReadPage,
  type RecordedEvent,
  type Snapshot,
  type StreamAppend,
  type StreamName,
  type SubscribeOptions,
  type Subscription,
} from '@eni-ipam/core';
import type { Etcd3 } from 'etcd3';
import { type ArchiveManifest, ArchiveReader, parseManifest, readPendingSegments } from './archive-format.js';
import { byPosition, decodeStored, type EventDecoder, type StoredEvent, validateEnvelope } from './envelope.js';
import { type AppenderOptions, EtcdAppender } from './etcd-appender.js';
import { createEtcdClient, type EtcdConnectionOptions } from './etcd-client.js';
import { mapEtcdError } from './etcd-errors.js';
import { EtcdSubscription } from './etcd-subscription.js';
import { assertStreamName, KeyLayout, prefixEnd } from './keys.js';
import { DEFAULT_LIMITS, type EtcdLimits } from './limits.js';
import { scanRange } from './log-scan.js';

/** Tails up to this many events are read in one filtered request (about 2 MB of values). */
const TAIL_MAX = 5_000;

import { loadSnapshotChunked, saveSnapshotChunked } from './snapshot-chunks.js';

export interface EtcdEventStoreOptions {
  /** An existing client (shared with the election), or connection options to build one. */
  client?: Etcd3;
  connection?: EtcdConnectionOptions;
  /** Key prefix, default `/eni-ipam/default` (ipamd uses `/eni-ipam/<clusterId>`). */
  prefix?: string;
  /** Turns a stored value into an envelope; ipamd passes core's decoder. Default: shape check. */
  decode?: EventDecoder;
  /** etcd's limits, if the members run with non-default `--max-txn-ops` / `--max-request-bytes`. */
  limits?: EtcdLimits;
  /** Directory of archived segments (see `Archiver`); readStream spans it and etcd. */
  archiveDir?: string;
  /** Keys per range page. Default 1000. */
  pageSize?: number;
  /** A readAll cursor unused this long is dropped (see `readAll`). Default 60 s. */
  cursorIdleMs?: number;
  /** Most events a start from a snapshot reads as a short tail (see `scan`). Default 5000. */
  tailMax?: number;
  /** Group commit and deadlines (see `EtcdAppender`). */
  append?: Omit<AppenderOptions, 'limits'>;
  /** Subscriber liveness: a watch silent this long is checked against the cluster. Default 5000 ms. */
  watchLivenessMs?: number;
}

/**
 * The `EventStore` port on etcd (DESIGN section 3). See `EtcdAppender` for appends,
 * `EtcdSubscription` for subscribe, `Archiver` for archival.
 *
 * @example
 *   const store = new EtcdEventStore({ connection: { endpoints: ['http://127.0.0.1:2379'] }, prefix: '/eni-ipam/c1' });
 *   await store.append([{ stream: 'node/n1', expectedVersion: 0, events: [e] }]);
 */
export class EtcdEventStore implements EventStore {
  readonly client: Etcd3;
  readonly keys: KeyLayout;
  private readonly ownsClient: boolean;
  readonly decoder: EventDecoder;
  private readonly appender: EtcdAppender;
  private readonly pageSize: number;
  private readonly cursorIdleMs: number;
  private readonly tailMax: number;
  private readonly subscriptions = new Set<Subscription>();
  /** Open `readAll` cursors by the revision their next page starts at (see `readAll`). */
  private readonly cursors = new Map<number, ReadCursor>();

  constructor(private readonly options: EtcdEventStoreOptions) {
    if (!options.client && !options.connection)
      throw new IpamError('InvalidInput', 'EtcdEventStore needs client or connection');
    this.client = options.client ?? createEtcdClient(options.connection as EtcdConnectionOptions);
    this.ownsClient = !options.client;
    this.keys = new KeyLayout(options.prefix ?? '/eni-ipam/default');
    this.decoder = options.decode ?? validateEnvelope;
    this.pageSize = options.pageSize ?? 1000;
    this.cursorIdleMs = options.cursorIdleMs ?? CURSOR_IDLE_MS;
    this.tailMax = options.tailMax ?? TAIL_MAX;
    this.appender = new EtcdAppender(this.client, this.keys, {
      ...options.append,
      limits: options.limits ?? DEFAULT_LIMITS,
    });
  }

  append(streams: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult> {
    try {
      return this.appender.append(streams, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async readStream(stream: StreamName, fromSeq = 1, limit = Number.MAX_SAFE_INTEGER): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const out: RecordedEvent[] = [];
    const from = Math.max(1, fromSeq);
    // the manifest and the first page in one read, so an archival running meanwhile (it moves
    // keys and updates the manifest in one transaction) cannot make us miss or double a segment
    const range = this.keys.streamRange(stream, from);
    let res: Awaited<ReturnType<Etcd3['kv']['txn']>> | undefined;
    let pageSize = Math.min(limit, this.pageSize);
    while (!res) {
      try {
        res = await this.client.kv.txn({
          compare: [],
          success: [
            { request_range: { key: Buffer.from(this.keys.manifest) } },
            { request_range: { key: Buffer.from(range.start), range_end: Buffer.from(range.end), limit: pageSize } },
          ],
          failure: [],
        });
      } catch (e) {
        const mapped = mapEtcdError(e, `readStream ${stream}`);
        if (mapped.code !== 'RequestTooLarge' || pageSize === 1) throw mapped;
        pageSize = Math.max(1, Math.floor(pageSize / 4)); // big events: smaller pages
      }
    }
    const manifestKv = res.responses[0]?.response_range?.kvs[0];
    const manifest = manifestKv ? parseManifest(manifestKv.value.toString(), this.keys.manifest) : undefined;
    const pending = await readPendingSegments(this.options.archiveDir);
    const segments = [...(manifest?.segments ?? []), ...pending];
    const archived = segments.filter(
      (s, k) => s.stream === stream && s.toSeq >= from && segments.findIndex((x) => x.file === s.file) === k,
    );
    let archivedUpTo = 0;
    if (archived.length > 0) {
      if (!this.options.archiveDir) {
        throw new IpamError(
          'StoreUnavailable',
          `stream ${stream} has archived segments but no archiveDir is configured`,
          {
            stream,
          },
        );
      }
      const reader = new ArchiveReader(this.options.archiveDir, this.decoder);
      for (const seg of archived.sort((a, b) => a.fromSeq - b.fromSeq)) {
        for (const e of await reader.read(seg)) {
          if (e.seq >= from && e.seq > archivedUpTo && out.length < limit) out.push(e);
        }
        archivedUpTo = Math.max(archivedUpTo, seg.toSeq);
      }
    }
    const first = res.responses[1]?.response_range;
    if (!first) return out;
    const pushKvs = (kvs: typeof first.kvs) => {
      for (const kv of kvs) {
        if (out.length >= limit) return;
        const key = kv.key.toString();
        // a segment journalled under NOSPACE may still be live for a moment: archive wins
        if ((this.keys.parseLog(key)?.seq ?? 0) <= archivedUpTo) continue;
        out.push(
          decodeStored(key, kv.value.toString(), Number(kv.mod_revision), this.keys.parseLog(key), this.decoder).event,
        );
      }
    };
    pushKvs(first.kvs);
    const last = first.kvs[first.kvs.length - 1];
    if (first.more && last && out.length < limit) {
      const rest = `${last.key.toString()}\0`;
      for await (const page of scanRange(this.client, rest, range.end, pageSize, `readStream ${stream}`)) {
        pushKvs(page.kvs);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async streamVersion(stream: StreamName): Promise<number> {
    assertStreamName(stream);
    try {
      const v = await this.client.get(this.keys.head(stream)).string();
      return v === null ? 0 : Number(v);
    } catch (e) {
      throw mapEtcdError(e, `streamVersion ${stream}`);
    }
  }

  /**
   * Every live event with revision >= fromRevision, in global order. Scans the log keys in key
   * order (one consistent snapshot) and sorts by (revision, index in its transaction); etcd can
   * only filter by mod revision by loading the whole range anyway. Archived events are not here:
   * read them per stream (`readStream`) or from the archive.
   *
   * Paging without rescans: a scan's sorted result is kept as a cursor keyed by the page's
   * `nextRevision`, so the next call of a reader paging through (`readAll(page.nextRevision)`)
   * is served from it instead of scanning the whole log again (one scan per catch-up, not one per
   * page). Every page of a cursor is from the same snapshot (the scan's revision); events appended
   * after it have higher revisions and come after the cursor's last page (`more: false`), by a
   * fresh scan. A cursor goes when its last page is served, when unused for `CURSOR_IDLE_MS`, or
   * when more than `MAX_CURSORS` readers page at once (oldest first). It holds what one scan held
   * before (the decoded events from `fromRevision`), no more.
   */
  async readAll(fromRevision: number, limit = 1000): Promise<ReadPage> {
    const from = Math.max(1, fromRevision);
    const now = Date.now();
    for (const [k, c] of this.cursors) if (now - c.used > this.cursorIdleMs) this.cursors.delete(k);
    let cursor = this.cursors.get(from);
    this.cursors.delete(from);
    if (!cursor) {
      const { events, revision } = await this.scan(this.keys.logPrefix, from);
      cursor = { events, pos: 0, revision, used: now };
    }
    const page = cursor.events.slice(cursor.pos, pageEnd(cursor.events, cursor.pos, limit));
    cursor.pos += page.length;
    const last = page[page.length - 1];
    const nextRevision = last ? last.revision + 1 : Math.max(from, cursor.revision + 1);
    const more = cursor.pos < cursor.events.length;
    if (more) {
      // the time it is served, not the time it was asked for: a scan of a big log takes longer
      // than the idle limit, and its cursor must not be dropped as idle before its next page
      cursor.used = Date.now();
      this.cursors.set(nextRevision, cursor);
      while (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value as number);
    }
    return { events: page, nextRevision, more };
  }

  /**
   * Scan of a log prefix: decoded events with revision >= fromRevision, sorted, and the scan's
   * revision. A short tail (a replica starting from a recent snapshot) is asked for with etcd's
   * mod-revision filter in one request: etcd still walks the whole range, but inside the member,
   * and only the tail comes over the wire (the whole log is hundreds of MB at 5,000 nodes). Log
   * keys are written once, so a key's mod revision is its event's revision.
   */
  async scan(prefix: string, fromRevision: number): Promise<{ events: RecordedEvent[]; revision: number }> {
    if (fromRevision > 1) {
      const tail = await this.scanTail(prefix, fromRevision);
      if (tail) return tail;
    }
    const found: StoredEvent[] = [];
    let revision = 0;
    const end = prefixEnd(prefix);
    for await (const page of scanRange(this.client, prefix, end, this.pageSize, 'read log')) {
      revision = page.revision;
      for (const kv of page.kvs) {
        const rev = Number(kv.mod_revision);
        if (rev < fromRevision) continue;
        const key = kv.key.toString();
        found.push(decodeStored(key, kv.value.toString(), rev, this.keys.parseLog(key), this.decoder));
      }
    }
    found.sort(byPosition);
    return { events: found.map((f) => f.event), revision };
  }
  /**
   * The events from `fromRevision` when there are at most `tailMax` of them, else undefined. One
   * filtered request with a limit of `tailMax + 1`: etcd prunes by mod revision before it applies
   * the limit. (Not `count_only`: etcd 3.4 counts the whole range and ignores the filter, so a
   * counted tail was always "too long" and every start from a snapshot read the whole log.)
   */
  private async scanTail(
    prefix: string,
    fromRevision: number,
  ): Promise<{ events: RecordedEvent[]; revision: number } | undefined> {
    try {
      const res = await this.client.kv.range({
        key: Buffer.from(prefix),
        range_end: Buffer.from(prefixEnd(prefix)),
        min_mod_revision: fromRevision,
        limit: this.tailMax + 1,
      });
      if (res.more || res.kvs.length > this.tailMax) return undefined;
      const found = res.kvs.map((kv) => {
        const key = kv.key.toString();
        return decodeStored(key, kv.value.toString(), Number(kv.mod_revision), this.keys.parseLog(key), this.decoder);
      });
      found.sort(byPosition);
      return { events: found.map((f) => f.event), revision: Number(res.header.revision) };
    } catch (e) {
      const mapped = mapEtcdError(e, 'read log tail');
      if (mapped.code === 'RequestTooLarge') return undefined; // the full scan copes
      throw mapped;
    }
  }

  async headRevision(): Promise<number> {
    try {
      const res = await this.client.kv.range({ key: Buffer.from(this.keys.manifest), count_only: true });
      return Number(res.header.revision);
    } catch (e) {
      throw mapEtcdError(e, 'headRevision');
    }
  }

  subscribe(
    fromRevision: number,
    handler: (batch: readonly RecordedEvent[]) => Promise<void> | void,
    options: SubscribeOptions = {},
  ): Subscription {
    const sub = new EtcdSubscription(this, fromRevision, handler, {
      ...options,
      livenessMs: this.options.watchLivenessMs ?? 5000,
    });
    this.subscriptions.add(sub);
    void sub.done.finally(() => this.subscriptions.delete(sub)).catch(() => {});
    return sub;
  }

  /** The manifest of archived segments (empty when nothing was archived). */
  async manifest(): Promise<ArchiveManifest> {
    try {
      const v = await this.client.get(this.keys.manifest).string();
      const base = v === null ? [] : parseManifest(v, this.keys.manifest).segments;
      return { segments: [...base, ...(await readPendingSegments(this.options.archiveDir))] };
    } catch (e) {
      throw mapEtcdError(e, 'read archive manifest');
    }
  }

  /** Saves a snapshot; one over etcd's request limit is written in chunks (see snapshot-chunks.ts). */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    assertSnapshotName(snapshot.name);
    await saveSnapshotChunked(this.client, this.keys, snapshot);
  }

  async loadSnapshot<S>(name: string): Promise<Snapshot<S> | undefined> {
    assertSnapshotName(name);
    return loadSnapshotChunked<S>(this.client, this.keys, name);
  }

  /** The etcd revision of the snapshot's last write (its key, or its chunks' pointer), read keys-only. */
  async snapshotStamp(name: string): Promise<number | undefined> {
    assertSnapshotName(name);
    try {
      const res = await this.client.kv.range({ key: Buffer.from(this.keys.snap(name)), keys_only: true });
      const kv = res.kvs[0];
      return kv ? Number(kv.mod_revision) : undefined;
    } catch (e) {
      throw mapEtcdError(e, `read snapshot stamp ${name}`);
    }
  }

  /** Stops subscriptions, fails queued appends, closes the client if this store built it. */
  async close(): Promise<void> {
    this.appender.close();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsClient) this.client.close();
  }
}

/** A scan's sorted events being paged through by `readAll`. */
interface ReadCursor {
  events: RecordedEvent[];
  /** Index of the next page's first event. */
  pos: number;
  /** The revision the scan read at. */
  revision: number;
  /** When a page was last served (ms, for idle expiry). */
  used: number;
}

/** End (exclusive) of the page of at most `limit` events from `pos`, longer only to keep a revision whole. */
const pageEnd = (events: readonly RecordedEvent[], pos: number, limit: number): number => {
  let end = Math.min(events.length, pos + Math.max(1, limit));
  while (end < events.length && events[end]?.revision === events[end - 1]?.revision) end++;
  return end;
};

/** Readers paging through `readAll` at once before the oldest cursor is dropped (it rescans). */
const MAX_CURSORS = 4;
/** A cursor unused this long is dropped: its reader went away or stalled (it rescans). */
const CURSOR_IDLE_MS = 60_000;

const assertSnapshotName = (name: unknown): void => {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9._/-]{0,200}$/.test(name)) {
    throw new IpamError('InvalidInput', `invalid snapshot name ${JSON.stringify(name)}`);
  }
};
