import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@eni-ipam/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ArchiveSegment,
  readSegmentIndex,
  segmentConcerns,
  segmentIndexFileName,
  segmentIndexOf,
} from './archive-format.js';

const dir = mkdtempSync(join(tmpdir(), 'segidx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ev = (seq: number, type: string, data: unknown): RecordedEvent =>
  ({
    id: `e${seq}`,
    stream: 'node/n1',
    seq,
    type,
    v: 1,
    at: '2026-01-01T00:00:00.000Z',
    by: { replica: 'r', term: 1 },
    cause: {},
    revision: seq,
    data,
  }) as RecordedEvent;

const pod = { namespace: 'default', name: 'web-0' };
const events = [
  ev(1, 'IpsBound', { intentId: 'b1', eniId: 'eni-00000001', ips: ['10.0.1.5', '10.0.1.6'] }),
  ev(2, 'IpAllocated', { pod, containerId: 'k1', ip: '10.0.1.5', eniId: 'eni-00000001', why: 'w' }),
  ev(3, 'EniCreated', { intentId: 'c1', eniId: 'eni-00000002', primaryIp: '10.0.1.9', subnetId: 's', mac: 'm' }),
];
const seg = (file: string, count: number): ArchiveSegment => ({
  stream: 'node/n1',
  fromSeq: 1,
  toSeq: count,
  maxRevision: count,
  file,
  count,
  sha256: '',
});

describe('segment sidecar index', () => {
  it('given a segment, when its sidecar is written and read back, then the same index, naming its IPs, pods and ENIs', async () => {
    const idx = segmentIndexOf(events);
    await writeFile(join(dir, segmentIndexFileName('a.ndjson.gz')), JSON.stringify(idx));
    expect(await readSegmentIndex(dir, seg('a.ndjson.gz', 3))).toEqual(idx);
    expect(idx).toEqual({
      v: 1,
      count: 3,
      ips: ['10.0.1.5', '10.0.1.6', '10.0.1.9'],
      pods: ['default/web-0'],
      enis: ['eni-00000001', 'eni-00000002'],
      createRequests: false,
    });
  });

  it('says which subjects a segment concerns; without a create request an unnamed ENI is skipped', () => {
    const idx = segmentIndexOf(events);
    expect(segmentConcerns(idx, { kind: 'ip', ip: '10.0.1.6' })).toBe(true);
    expect(segmentConcerns(idx, { kind: 'ip', ip: '10.0.1.7' })).toBe(false);
    expect(segmentConcerns(idx, { kind: 'pod', pod: 'default/web-0' })).toBe(true);
    expect(segmentConcerns(idx, { kind: 'pod', pod: 'default/web-1' })).toBe(false);
    expect(segmentConcerns(idx, { kind: 'eni', eniId: 'eni-00000003' })).toBe(false);
    const withCreate = segmentIndexOf([...events, ev(4, 'EniCreateRequested', { intentId: 'c2', subnetId: 's' })]);
    expect(segmentConcerns(withCreate, { kind: 'eni', eniId: 'eni-00000003' })).toBe(true);
  });

  it('a missing, corrupt or mismatched sidecar reads as none, and none concerns everything', async () => {
    expect(await readSegmentIndex(dir, seg('missing.ndjson.gz', 3))).toBeUndefined();
    writeFileSync(join(dir, segmentIndexFileName('bad.ndjson.gz')), '{"v":1,');
    expect(await readSegmentIndex(dir, seg('bad.ndjson.gz', 3))).toBeUndefined();
    await writeFile(join(dir, segmentIndexFileName('b.ndjson.gz')), JSON.stringify(segmentIndexOf(events)));
    expect(await readSegmentIndex(dir, seg('b.ndjson.gz', 4))).toBeUndefined();
    expect(segmentConcerns(undefined, { kind: 'ip', ip: '10.9.9.9' })).toBe(true);
  });

  it('never skips a segment whose events name the subject (fast-check)', () => {
    const ip = fc.integer({ min: 1, max: 20 }).map((k) => `10.0.1.${k}`);
    const event = fc.oneof(
      fc.record({ ip, name: fc.constantFrom('a', 'b', 'c') }).map(({ ip, name }) => ({
        type: 'IpAllocated',
        data: { ip, pod: { namespace: 'default', name }, containerId: 'k', eniId: 'eni-00000001' },
      })),
      fc.array(ip, { maxLength: 3 }).map((ips) => ({ type: 'IpsUnbound', data: { ips, eniId: 'eni-00000002' } })),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), ip, (es, probe) => {
        const recorded = es.map((e, i) => ev(i + 1, e.type, e.data));
        const named = es.some(
          (e) => (e.data as { ip?: string }).ip === probe || ((e.data as { ips?: string[] }).ips ?? []).includes(probe),
        );
        expect(segmentConcerns(segmentIndexOf(recorded), { kind: 'ip', ip: probe })).toBe(named);
      }),
    );
  });
});
