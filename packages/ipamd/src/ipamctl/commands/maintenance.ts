import { type EventStore, IpamError, type Projection, project, type Snapshot } from '@eni-ipam/core';
import type { LoggedEvent } from './load.js';
import { PROJECTION_SNAPSHOT } from './verify.js';

/**
 * `ipamctl snapshot`: folds the whole history and saves it as the projection snapshot
 * (`seq` = events folded, `revision` = the last one's). Readers and `verify` load it.
 */
export const takeSnapshot = async (
  store: EventStore,
  events: readonly LoggedEvent[],
): Promise<Snapshot<Projection>> => {
  const state = project(events);
  const snap: Snapshot<Projection> = { name: PROJECTION_SNAPSHOT, seq: events.length, revision: state.revision, state };
  await store.saveSnapshot(snap);
  return snap;
};

/** The archiving side of the store (`Archiver` of @eni-ipam/store). */
export interface StreamArchiver {
  archiveStream(
    stream: string,
    beforeSeq: number,
  ): Promise<{ stream: string; fromSeq: number; toSeq: number; file: string } | undefined>;
}

export interface ArchivePlanEntry {
  stream: string;
  /** Events with seq below this leave etcd. */
  beforeSeq: number;
}

/**
 * Which prefix of each stream is older than `before` (ms): up to, not including, the first
 * event at or after it. The last event of a stream always stays live (its head stays readable
 * from etcd, and appends compare against it).
 */
export const archivePlan = (
  events: readonly Pick<LoggedEvent, 'stream' | 'seq' | 'at'>[],
  before: number,
): ArchivePlanEntry[] => {
  const firstKept = new Map<string, number>();
  const last = new Map<string, number>();
  for (const e of events) {
    last.set(e.stream, e.seq);
    if (!firstKept.has(e.stream) && Date.parse(e.at) >= before) firstKept.set(e.stream, e.seq);
  }
  const out: ArchivePlanEntry[] = [];
  for (const [stream, lastSeq] of [...last].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const beforeSeq = Math.min(firstKept.get(stream) ?? lastSeq, lastSeq);
    if (beforeSeq > 1) out.push({ stream, beforeSeq });
  }
  return out;
};

/** `ipamctl archive --before T`: runs the plan through the archiver; returns the segments written. */
export const archiveBefore = async (
  archiver: StreamArchiver,
  events: readonly LoggedEvent[],
  before: number,
): Promise<{ stream: string; fromSeq: number; toSeq: number; file: string }[]> => {
  if (Number.isNaN(before)) throw new IpamError('InvalidInput', 'archive: --before is not a time');
  const out = [];
  for (const p of archivePlan(events, before)) {
    const seg = await archiver.archiveStream(p.stream, p.beforeSeq);
    if (seg) out.push({ stream: seg.stream, fromSeq: seg.fromSeq, toSeq: seg.toSeq, file: seg.file });
  }
  return out;
};
