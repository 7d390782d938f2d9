import { type DecodedEvent, decodeRecorded, type EventStore, type RecordedEvent } from '@eni-ipam/core';

/** A decoded event with its global position. */
export type LoggedEvent = DecodedEvent & { revision: number };

export interface LoadOptions {
  /**
   * Streams with archived segments (from the archive manifest): their archived prefix is read
   * through `readStream`, which spans the archive and etcd. `readAll` covers live events only.
   */
  archivedStreams?: readonly string[];
  /**
   * Page size of `readAll`. Default: everything in one page. The etcd store scans the whole
   * log for each page (etcd cannot page by mod revision), so paging a full read is quadratic:
   * 100,000 events in pages of 5,000 took 55-60 s through etcd, one page takes a few seconds.
   */
  pageSize?: number;
  /** Keep only these events (tested on the stored form, before decoding: the cheap way to
   *  answer a question about one IP, pod or ENI from a big log). */
  filter?: (e: RecordedEvent) => boolean;
}

/**
 * The whole history in log order: every live event (`readAll`, paginated) plus the archived
 * prefix of each stream (`readStream` from seq 1 up to the stream's first live event). Each
 * event is decoded against core's catalogue, so an unknown type or version stops the reader
 * with its code instead of being skipped.
 *
 * Order: by revision (the global position); events of one revision keep their stream order.
 * Projections and the audit index need only per-stream order, which this keeps.
 */
export const loadHistory = async (store: EventStore, o: LoadOptions = {}): Promise<LoggedEvent[]> => {
  const live: RecordedEvent[] = [];
  let from = 1;
  for (;;) {
    const page = await store.readAll(from, o.pageSize ?? Number.MAX_SAFE_INTEGER);
    for (const e of page.events) live.push(e);
    if (!page.more) break;
    from = page.nextRevision;
  }
  const firstLive = new Map<string, number>();
  for (const e of live) if (!firstLive.has(e.stream)) firstLive.set(e.stream, e.seq);
  const archived: RecordedEvent[] = [];
  const streams = new Set([...(o.archivedStreams ?? []), ...[...firstLive].filter(([, s]) => s > 1).map(([n]) => n)]);
  for (const stream of [...streams].sort()) {
    const upTo = firstLive.get(stream);
    const events = await store.readStream(stream, 1, upTo === undefined ? undefined : upTo - 1);
    for (const e of events) if (upTo === undefined || e.seq < upTo) archived.push(e);
  }
  const all = archived.length === 0 ? live : [...archived, ...live].sort((a, b) => a.revision - b.revision);
  const keep = o.filter;
  return (keep ? all.filter(keep) : all).map((e) => decodeRecorded(e, `${e.stream}/${e.seq}`));
};

/** The events up to a point: a global revision, or an ISO time (events decided at or before it). */
export const eventsUpTo = (events: readonly LoggedEvent[], at: { revision?: number; time?: number }): LoggedEvent[] =>
  events.filter(
    (e) =>
      (at.revision === undefined || e.revision <= at.revision) &&
      (at.time === undefined || Date.parse(e.at) <= at.time),
  );

/** The archive as a reader of one question sees it (see `loadAbout`). */
export interface ArchiveAccess {
  /** Every archived segment (manifest and NOSPACE journal), read after the live events. */
  segments(): Promise<readonly ArchiveSegmentRef[]>;
  /** False when the segment's sidecar index proves it says nothing about the question. */
  concerns(seg: ArchiveSegmentRef): Promise<boolean>;
  read(seg: ArchiveSegmentRef): Promise<RecordedEvent[]>;
}

export interface ArchiveSegmentRef {
  stream: string;
  fromSeq: number;
  toSeq: number;
  file: string;
  count: number;
}

/**
 * The history that matters to one question: the live events (`readAll`) plus only the archived
 * segments whose sidecar index names the subject (or that have no sidecar), filtered before
 * decoding. Same result as `loadHistory(store, { filter })` when `filter` keeps only events
 * naming the subject (tested): a segment the sidecar rules out holds none of them.
 *
 * The manifest is read after the live events, so a segment archived meanwhile is seen (its
 * events left etcd in the same transaction that listed it); an archived event is kept only
 * below its stream's first live one, as in `loadHistory`.
 */
export const loadAbout = async (
  store: EventStore,
  archive: ArchiveAccess,
  filter: (e: RecordedEvent) => boolean,
): Promise<LoggedEvent[]> => {
  const live: RecordedEvent[] = [];
  const firstLive = new Map<string, number>();
  let from = 1;
  for (;;) {
    const page = await store.readAll(from, Number.MAX_SAFE_INTEGER);
    for (const e of page.events) {
      if (!firstLive.has(e.stream)) firstLive.set(e.stream, e.seq);
      if (filter(e)) live.push(e);
    }
    if (!page.more) break;
    from = page.nextRevision;
  }
  const archived: RecordedEvent[] = [];
  for (const seg of await archive.segments()) {
    const upTo = firstLive.get(seg.stream) ?? Number.POSITIVE_INFINITY;
    if (seg.fromSeq >= upTo || !(await archive.concerns(seg))) continue;
    for (const e of await archive.read(seg)) if (e.seq < upTo && filter(e)) archived.push(e);
  }
  const all = archived.length === 0 ? live : [...archived, ...live].sort((a, b) => a.revision - b.revision);
  return all.map((e) => decodeRecorded(e, `${e.stream}/${e.seq}`));
};
