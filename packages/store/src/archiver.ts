import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { IpamError, type RecordedEvent, type StreamName } from '@eni-ipam/core';
import type { Etcd3 } from 'etcd3';
import {
  ARCHIVE_PENDING_FILE,
  type ArchiveManifest,
  type ArchiveSegment,
  parseManifest,
  segmentFileName,
  segmentIndexFileName,
  segmentIndexOf,
} from './archive-format.js';
import type { EtcdConnectionOptions } from './etcd-client.js';
import { createEtcdClient } from './etcd-client.js';
import { mapEtcdError } from './etcd-errors.js';
import type { EtcdEventStore } from './etcd-event-store.js';
import { assertStreamName } from './keys.js';

const gz = promisify(gzip);
const PENDING = ARCHIVE_PENDING_FILE;

export interface ArchiverOptions {
  store: EtcdEventStore;
  /** Where segment files go (the same dir the store reads archived history from). */
  archiveDir: string;
  /** Every member's client URL and credentials: defragment runs on each member. */
  connection: EtcdConnectionOptions;
}

export interface MaintenanceReport {
  compactedAt: number;
  defragmented: string[];
  disarmed: number;
  dbSizes: Record<string, number>;
}

/**
 * Archival: moves a stream's old events out of etcd into a gzip ndjson segment file, lists it in
 * the manifest key and deletes the keys, in that order; then `maintain()` compacts, defragments
 * each member and disarms a NOSPACE alarm. The history stays whole: readStream spans the archive
 * and etcd.
 *
 * Normal path: file written and fsynced, then ONE transaction puts the new manifest (compared on
 * its mod revision) and deletes the archived keys. Under a NOSPACE alarm etcd accepts only reads
 * and deletes, so that transaction fails; then the segment goes to `pending.json` in the archive
 * dir (readers honour it, see `ArchiveReader`), a delete-only transaction frees the keys, and
 * `maintain()` writes the manifest after the alarm is disarmed and clears the journal.
 *
 * @example
 *   const archiver = new Archiver({ store, archiveDir: '/var/lib/eni-ipam/archive', connection });
 *   await archiver.archiveStream('node/n1', 5000);   // events 1..4999 leave etcd
 *   await archiver.maintain();                        // compact, defrag, disarm
 */
export class Archiver {
  constructor(private readonly o: ArchiverOptions) {}

  /** Archives the live events of `stream` with seq < `beforeSeq`; returns the segment (or undefined if none). */
  async archiveStream(stream: StreamName, beforeSeq: number): Promise<ArchiveSegment | undefined> {
    assertStreamName(stream);
    const { store } = this.o;
    const manifest = await this.readManifest();
    const live = (await store.readStream(stream, 1, beforeSeq - 1)).filter(
      (e) => e.seq < beforeSeq && !this.covered(manifest, stream, e.seq),
    );
    if (live.length === 0) return undefined;
    const seg = await this.writeSegment(stream, live);
    const { client, keys } = store;
    const range = { start: keys.log(stream, seg.fromSeq), end: keys.log(stream, seg.toSeq + 1) };
    const next: ArchiveManifest = { segments: [...manifest.segments, seg] };
    try {
      const res = await client.kv.txn({
        compare: manifest.modRevision
          ? [
              {
                key: Buffer.from(keys.manifest),
                target: 'Mod',
                result: 'Equal',
                mod_revision: String(manifest.modRevision),
              },
            ]
          : [{ key: Buffer.from(keys.manifest), target: 'Version', result: 'Equal', version: 0 }],
        success: [
          { request_put: { key: Buffer.from(keys.manifest), value: Buffer.from(JSON.stringify(next)) } },
          { request_delete_range: { key: Buffer.from(range.start), range_end: Buffer.from(range.end) } },
        ],
        failure: [],
      });
      if (!res.succeeded) throw new IpamError('StreamVersionConflict', 'archive manifest changed meanwhile; run again');
      return seg;
    } catch (e) {
      const mapped = mapEtcdError(e, `archive ${stream}`);
      if (mapped.code !== 'StoreNoSpace') throw mapped;
    }
    // NOSPACE: journal the segment first, then delete (deletes are allowed under the alarm)
    await this.writePending([...(await this.readPending()), seg]);
    try {
      await client.kv.txn({
        compare: [],
        success: [{ request_delete_range: { key: Buffer.from(range.start), range_end: Buffer.from(range.end) } }],
        failure: [],
      });
    } catch (e) {
      throw mapEtcdError(e, `archive ${stream} (delete under NOSPACE)`);
    }
    return seg;
  }

  /**
   * Compacts at `revision` (default: the current one), defragments every member, disarms NOSPACE,
   * flushes pending segments. Running replicas follow the log by watch: compact at a revision
   * their snapshot covers, so that one still behind it can continue from the snapshot.
   */
  async maintain(revision?: number): Promise<MaintenanceReport> {
    const { client } = this.o.store;
    const compactedAt = revision ?? (await this.o.store.headRevision());
    try {
      await client.kv.compact({ revision: String(compactedAt), physical: true });
    } catch (e) {
      const m = mapEtcdError(e, 'compact');
      if (m.code !== 'RevisionCompacted') throw m;
    }
    const defragmented: string[] = [];
    const dbSizes: Record<string, number> = {};
    for (const endpoint of this.o.connection.endpoints) {
      // defragment() goes to a random host of a pool: one single-host client per member
      const one: Etcd3 = createEtcdClient({ ...this.o.connection, endpoints: [endpoint], callTimeoutMs: 60_000 });
      try {
        await one.maintenance.defragment();
        dbSizes[endpoint] = Number((await one.maintenance.status()).dbSize);
        defragmented.push(endpoint);
      } catch (e) {
        throw mapEtcdError(e, `defragment ${endpoint}`);
      } finally {
        one.close();
      }
    }
    let disarmed = 0;
    try {
      const alarms = await client.maintenance.alarm({ action: 'Get', memberID: '0', alarm: 'None' });
      for (const a of alarms.alarms ?? []) {
        if (String(a.alarm) !== 'Nospace') continue;
        await client.maintenance.alarm({ action: 'Deactivate', memberID: a.memberID, alarm: 'Nospace' });
        disarmed++;
      }
    } catch (e) {
      throw mapEtcdError(e, 'disarm alarms');
    }
    await this.flushPending();
    return { compactedAt, defragmented, disarmed, dbSizes };
  }

  /** Moves journalled segments into the manifest key (after NOSPACE is cleared). */
  async flushPending(): Promise<void> {
    const pending = await this.readPending();
    if (pending.length === 0) return;
    const { client, keys } = this.o.store;
    const manifest = await this.readManifest();
    const known = new Set(manifest.segments.map((s) => s.file));
    const next: ArchiveManifest = { segments: [...manifest.segments, ...pending.filter((s) => !known.has(s.file))] };
    const res = await client.kv
      .txn({
        compare: manifest.modRevision
          ? [
              {
                key: Buffer.from(keys.manifest),
                target: 'Mod',
                result: 'Equal',
                mod_revision: String(manifest.modRevision),
              },
            ]
          : [{ key: Buffer.from(keys.manifest), target: 'Version', result: 'Equal', version: 0 }],
        success: [{ request_put: { key: Buffer.from(keys.manifest), value: Buffer.from(JSON.stringify(next)) } }],
        failure: [],
      })
      .catch((e: unknown) => {
        throw mapEtcdError(e, 'flush archive journal');
      });
    if (!res.succeeded) throw new IpamError('StreamVersionConflict', 'archive manifest changed meanwhile; run again');
    await rm(join(this.o.archiveDir, PENDING), { force: true });
  }

  private covered(m: ArchiveManifest, stream: string, seq: number): boolean {
    return m.segments.some((s) => s.stream === stream && s.fromSeq <= seq && seq <= s.toSeq);
  }

  private async readManifest(): Promise<ArchiveManifest & { modRevision: number }> {
    const { client, keys } = this.o.store;
    const res = await client.kv.range({ key: Buffer.from(keys.manifest) }).catch((e: unknown) => {
      throw mapEtcdError(e, 'read archive manifest');
    });
    const kv = res.kvs[0];
    const pending = await this.readPending();
    const base = kv ? parseManifest(kv.value.toString(), keys.manifest) : { segments: [] };
    return { segments: [...base.segments, ...pending], modRevision: kv ? Number(kv.mod_revision) : 0 };
  }

  private async readPending(): Promise<ArchiveSegment[]> {
    const path = join(this.o.archiveDir, PENDING);
    if (!existsSync(path)) return [];
    return parseManifest(await readFile(path, 'utf8'), path).segments;
  }

  private async writePending(segments: ArchiveSegment[]): Promise<void> {
    await durableWrite(join(this.o.archiveDir, PENDING), Buffer.from(JSON.stringify({ segments })));
  }

  private async writeSegment(stream: string, events: RecordedEvent[]): Promise<ArchiveSegment> {
    await mkdir(this.o.archiveDir, { recursive: true });
    const fromSeq = (events[0] as RecordedEvent).seq;
    const toSeq = (events[events.length - 1] as RecordedEvent).seq;
    const body = await gz(Buffer.from(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`));
    const file = segmentFileName(stream, fromSeq, toSeq);
    await durableWrite(join(this.o.archiveDir, file), body);
    // its sidecar index beside it, before the manifest names the segment (see SegmentIndex)
    await durableWrite(
      join(this.o.archiveDir, segmentIndexFileName(file)),
      Buffer.from(JSON.stringify(segmentIndexOf(events))),
    );
    return {
      stream,
      fromSeq,
      toSeq,
      maxRevision: Math.max(...events.map((e) => e.revision)),
      file,
      count: events.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
  }
}

/** Write to a temp name, fsync, rename: a reader never sees half a file. */
const durableWrite = async (path: string, body: Buffer): Promise<void> => {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
};
