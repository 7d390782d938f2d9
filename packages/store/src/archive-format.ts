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

/**
 * The sidecar index of a segment (`<file>.idx.json`, written by the Archiver beside it): which
 * addresses, pods (`namespace/name`) and ENIs its events name, read from the envelopes' `data`
 * (`ip`, `ips`, `primaryIp`; `pod`; `eniId`), and whether it holds an ENI create request (whose
 * ENI id only comes with the outcome). A reader answering a question about one of them skips,
 * undecoded, the segments whose sidecar does not name it. Plain sets, not a Bloom filter: a
 * segment of 5,000 events names a few hundred keys, so the exact list costs a few KiB and never
 * sends a reader to a segment for nothing. A missing or unreadable sidecar means "read the
 * segment" (segments archived before sidecars existed stay readable).
 */
export interface SegmentIndex {
  v: 1;
  /** Events in the segment (checked against the manifest's count). */
  count: number;
  ips: string[];
  pods: string[];
  enis: string[];
  createRequests: boolean;
}

/** What a history question is about, as the sidecar can tell. */
export type SegmentSubject = { kind: 'ip'; ip: string } | { kind: 'pod'; pod: string } | { kind: 'eni'; eniId: string };

export const segmentIndexFileName = (segmentFile: string): string => `${segmentFile}.idx.json`;

const segmentIndexSchema = z.object({
  v: z.literal(1),
  count: z.number().int().nonnegative(),
  ips: z.array(z.string()),
  pods: z.array(z.string()),
  enis: z.array(z.string()),
  createRequests: z.boolean(),
});

type Named = {
  ip?: unknown;
  ips?: unknown;
  primaryIp?: unknown;
  eniId?: unknown;
  pod?: { namespace?: unknown; name?: unknown };
};

/** The sidecar of a segment's events. */
export const segmentIndexOf = (events: readonly RecordedEvent[]): SegmentIndex => {
  const ips = new Set<string>();
  const pods = new Set<string>();
  const enis = new Set<string>();
  let createRequests = false;
  for (const e of events) {
    const d = (e.data ?? {}) as Named;
    if (typeof d.ip === 'string') ips.add(d.ip);
    if (typeof d.primaryIp === 'string') ips.add(d.primaryIp);
    if (Array.isArray(d.ips)) for (const ip of d.ips) if (typeof ip === 'string') ips.add(ip);
    if (typeof d.eniId === 'string') enis.add(d.eniId);
    if (d.pod && typeof d.pod.namespace === 'string' && typeof d.pod.name === 'string')
      pods.add(`${d.pod.namespace}/${d.pod.name}`);
    if (e.type === 'EniCreateRequested') createRequests = true;
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { v: 1, count: events.length, ips: sorted(ips), pods: sorted(pods), enis: sorted(enis), createRequests };
};

/** The segment's sidecar, or undefined when it is missing, unreadable or does not match the segment. */
export const readSegmentIndex = async (dir: string, seg: ArchiveSegment): Promise<SegmentIndex | undefined> => {
  try {
    const idx = segmentIndexSchema.parse(JSON.parse(await readFile(join(dir, segmentIndexFileName(seg.file)), 'utf8')));
    return idx.count === seg.count ? idx : undefined;
  } catch {
    return undefined; // no usable sidecar: the reader reads the segment
  }
};

/** False only when the sidecar proves the segment holds nothing about the subject. */
export const segmentConcerns = (idx: SegmentIndex | undefined, s: SegmentSubject): boolean => {
  if (!idx) return true;
  switch (s.kind) {
    case 'ip':
      return idx.ips.includes(s.ip);
    case 'pod':
      return idx.pods.includes(s.pod);
    case 'eni':
      return idx.createRequests || idx.enis.includes(s.eniId);
  }
};
