import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { IpamError, type RecordedEvent } from '@eni-ipam/core';
import { z } from 'zod';
import type { EventDecoder } from './envelope.js';

/**
 * One archived segment: events `fromSeq..toSeq` of one stream, moved out of etcd into
 * `<archiveDir>/<file>` (gzip ndjson, one recorded event per line, revision included).
 */
export interface ArchiveSegment {
  stream: string;
  fromSeq: number;
  toSeq: number;
  /** Highest etcd revision among the segment's events: subscribers below it cannot replay. */
  maxRevision: number;
  file: string;
  count: number;
  sha256: string;
}

export interface ArchiveManifest {
  segments: ArchiveSegment[];
}

const manifestSchema = z.object({
  segments: z.array(
    z.object({
      stream: z.string(),
      fromSeq: z.number().int().positive(),
      toSeq: z.number().int().positive(),
      maxRevision: z.number().int().nonnegative(),
      file: z.string().min(1),
      count: z.number().int().positive(),
      sha256: z.string(),
    }),
  ),
});

export const parseManifest = (value: string, key: string): ArchiveManifest => {
  try {
    return manifestSchema.parse(JSON.parse(value));
  } catch (e) {
    throw new IpamError('CorruptLog', `corrupt archive manifest at ${key}`, { key }, { cause: e });
  }
};

/** `node/n1` events 1..500 -> `node__n1.000000000001-000000000500.ndjson.gz` */
export const segmentFileName = (stream: string, fromSeq: number, toSeq: number): string =>
  `${stream.replaceAll('/', '__')}.${String(fromSeq).padStart(12, '0')}-${String(toSeq).padStart(12, '0')}.ndjson.gz`;

/** Reads archived segments back, through the same decoder as live events. */
export class ArchiveReader {
  constructor(
    private readonly dir: string,
    private readonly decode: EventDecoder,
  ) {}

  async read(seg: ArchiveSegment): Promise<RecordedEvent[]> {
    const path = join(this.dir, seg.file);
    const out: RecordedEvent[] = [];
    try {
      const lines = createInterface({
        input: createReadStream(path).pipe(createGunzip()),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      let n = 0;
      for await (const line of lines) {
        if (!line) continue;
        n++;
        const where = `${path}:${n}`;
        let raw: { revision?: unknown };
        try {
          raw = JSON.parse(line) as { revision?: unknown };
        } catch (e) {
          throw new IpamError(
            'CorruptLog',
            `corrupt archived event at ${where}: not JSON`,
            { key: where },
            { cause: e },
          );
        }
        const { revision, ...envelope } = raw;
        if (typeof revision !== 'number')
          throw new IpamError('CorruptLog', `archived event at ${where} has no revision`, { key: where });
        out.push({ ...this.decode(envelope, where), revision });
      }
    } catch (e) {
      if (e instanceof IpamError) throw e;
      throw new IpamError('StoreUnavailable', `cannot read archive segment ${path}`, { file: path }, { cause: e });
    }
    if (out.length !== seg.count) {
      throw new IpamError(
        'CorruptLog',
        `archive segment ${path} has ${out.length} events, manifest says ${seg.count}`,
        { key: path },
      );
    }
    return out;
  }
}

/** The archiver's journal of segments deleted under NOSPACE but not yet in the manifest key. */
export const ARCHIVE_PENDING_FILE = 'pending.json';

/** Segments journalled in `<dir>/pending.json` (empty if none). */
export const readPendingSegments = async (dir: string | undefined): Promise<ArchiveSegment[]> => {
  if (!dir) return [];
  const path = join(dir, ARCHIVE_PENDING_FILE);
  if (!existsSync(path)) return [];
  return parseManifest(await readFile(path, 'utf8'), path).segments;
};
