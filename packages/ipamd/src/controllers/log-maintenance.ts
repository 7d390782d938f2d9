import type { Clock, EventStore } from '@eni-ipam/core';
import type { ArchivePlanEntry } from '../ipamctl/commands/maintenance.js';
import { archivePlan } from '../ipamctl/commands/maintenance.js';
import type { ProjectionHost } from '../service/projection-host.js';

/** The archiving side of the store that maintenance needs (`Archiver` of @eni-ipam/store). */
export interface LogArchiver {
  archiveStream(stream: string, beforeSeq: number): Promise<{ count: number } | undefined>;
  /** Compacts at `revision` (default: the head), defragments every member, disarms NOSPACE; db sizes by member. */
  maintain(revision?: number): Promise<{ compactedAt: number; dbSizes: Record<string, number> }>;
}

export interface LogMaintenanceOptions {
  host: ProjectionHost;
  store: EventStore;
  archiver: LogArchiver;
  clock: Clock;
  /** Events older than this (ms) leave etcd for the archive; the last one of each stream stays. */
  retentionMs: number;
  /** One run this often. Default: no timer (the owner calls `run()`). */
  everyMs?: number;
  onRun?: (report: MaintenanceRun) => void;
  onError?: (error: unknown) => void;
}

export interface MaintenanceRun {
  /** Revision of the snapshot saved first (everything archived is below it). */
  snapshotRevision: number;
  /** Streams trimmed and events moved to the archive. */
  streams: number;
  archivedEvents: number;
  compactedAt: number;
  /** The largest member database after defragmenting, bytes. */
  dbSize: number;
}

/**
 * Keeps etcd small, leader only, as DESIGN's trimming rule says: snapshot, move old segments to
 * the archive, delete them from etcd, compact, defragment. Each run:
 * 1. saves the projection snapshot, so a replica starting later never needs the events moved out;
 * 2. archives each stream's events older than the retention and below that snapshot (the last
 *    event of a stream stays live: appends compare against it);
 * 3. compacts at the snapshot's revision, defragments every member and disarms a NOSPACE alarm
 *    (`Archiver.maintain`). Compaction also drops the history of the stream head keys, which are
 *    rewritten on every append, so it runs even when nothing was old enough to archive.
 * If the snapshot cannot be written (etcd at its quota refuses puts), step 3 still runs, so that
 * the alarm is cleared, and the next run archives. A failed run changes nothing that a later run
 * cannot finish: the archiver writes the segment before it deletes the keys.
 */
export class LogMaintenance {
  private ticker: NodeJS.Timeout | undefined;
  private running: Promise<MaintenanceRun> | undefined;

  constructor(private readonly o: LogMaintenanceOptions) {}

  start(): void {
    if (!this.o.everyMs) return;
    this.ticker = setInterval(() => void this.run().catch((e: unknown) => this.o.onError?.(e)), this.o.everyMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One run (a run in progress is joined, not doubled). */
  run(): Promise<MaintenanceRun> {
    this.running ??= this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<MaintenanceRun> {
    const { host, store, archiver } = this.o;
    let plan: ArchivePlanEntry[] = [];
    let snapshotRevision = 0;
    let snapshotError: unknown;
    try {
      await host.saveSnapshot();
      snapshotRevision = host.appliedRevision;
    } catch (e) {
      snapshotError = e;
    }
    let archivedEvents = 0;
    if (snapshotError === undefined) {
      const live = await store.readAll(1, Number.MAX_SAFE_INTEGER);
      const covered = live.events.filter((e) => e.revision <= snapshotRevision);
      plan = archivePlan(covered, this.o.clock.now() - this.o.retentionMs);
      for (const p of plan) archivedEvents += (await archiver.archiveStream(p.stream, p.beforeSeq))?.count ?? 0;
    }
    // at the snapshot's revision, not the head: a replica still following the log below the head
    // (it is applying the archive's deletes, or it is slow) then continues from the snapshot
    // instead of finding its position compacted past every snapshot
    const m = await archiver.maintain(snapshotRevision || undefined);
    if (snapshotError !== undefined) throw snapshotError;
    const report: MaintenanceRun = {
      snapshotRevision,
      streams: plan.length,
      archivedEvents,
      compactedAt: m.compactedAt,
      dbSize: Math.max(0, ...Object.values(m.dbSizes)),
    };
    this.o.onRun?.(report);
    return report;
  }
}
