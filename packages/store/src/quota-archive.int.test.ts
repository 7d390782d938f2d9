import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IpamError, isIpamError, type RecordedEvent } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archiver } from './archiver.js';
import { EtcdEventStore } from './etcd-event-store.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';
import { nextEvents } from './testing/index.js';

const QUOTA = 16 * 1024 * 1024;

describe('a small quota: NOSPACE, archive, compact, defrag, disarm, resume with the whole history', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  let archiver: Archiver;
  let dir: string;
  const acked = new Map<string, string[]>();
  const streams = ['node/q-0', 'node/q-1', 'node/q-2', 'subnet/subnet-abcd1234'];

  beforeAll(async () => {
    etcd = await startEtcd({ quotaBackendBytes: QUOTA });
    dir = mkdtempSync(join(tmpdir(), 'eni-ipam-archive-'));
    const connection = { endpoints: etcd.endpoints };
    store = new EtcdEventStore({ connection, prefix: '/t/quota', archiveDir: dir });
    archiver = new Archiver({ store, archiveDir: dir, connection });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reaching the quota gives StoreNoSpace (not a tripped breaker); reads keep working', async () => {
    let noSpace: IpamError | undefined;
    const pad = 'x'.repeat(90_000);
    for (let round = 0; round < 200 && !noSpace; round++) {
      const s = streams[round % streams.length] as string;
      const have = acked.get(s) ?? [];
      const a = nextEvents(s, have.length, 10, { data: { pad } });
      try {
        await store.append([a]);
        acked.set(s, [...have, ...a.events.map((e) => e.id)]);
      } catch (e) {
        if (!isIpamError(e)) throw e;
        noSpace = e;
      }
    }
    expect(noSpace?.code).toBe('StoreNoSpace');
    // again: still the real cause, and reads are not blocked by a circuit breaker
    expect(await store.append([nextEvents('node/q-0', acked.get('node/q-0')?.length ?? 0)]).catch((e) => e.code)).toBe(
      'StoreNoSpace',
    );
    for (const s of streams) expect((await store.readStream(s)).map((e) => e.id)).toEqual(acked.get(s));
  });

  it('after archive + compact + defrag + disarm, appends resume and every stream reads whole (archive + etcd)', async () => {
    for (const s of streams) {
      const version = acked.get(s)?.length ?? 0;
      const seg = await archiver.archiveStream(s, version); // keep the last event live
      expect(seg?.toSeq).toBe(version - 1);
    }
    // under NOSPACE the segments were journalled; maintain() clears the alarm and writes the manifest
    const report = await archiver.maintain();
    expect(report.disarmed).toBe(1);
    expect(report.dbSizes[etcd.endpoints[0] as string]).toBeLessThan(QUOTA / 2);
    expect(readdirSync(dir)).not.toContain('pending.json');
    expect((await store.manifest()).segments).toHaveLength(streams.length);
    for (const s of streams) {
      const have = acked.get(s) ?? [];
      const a = nextEvents(s, have.length, 2);
      await store.append([a]);
      acked.set(s, [...have, ...a.events.map((e) => e.id)]);
    }
    for (const s of streams) {
      const events = await store.readStream(s);
      expect(events.map((e) => e.id)).toEqual(acked.get(s));
      expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => k + 1));
      expect((await store.readStream(s, 3, 2)).map((e) => e.seq)).toEqual([3, 4]);
    }
  });

  it('archives in one transaction when there is space, and a subscriber below the archive reloads via onCompacted', async () => {
    const s = 'node/q-0';
    const version = acked.get(s)?.length ?? 0;
    const seg = await archiver.archiveStream(s, version + 1);
    expect(seg?.toSeq).toBe(version);
    expect(readdirSync(dir)).not.toContain('pending.json');
    expect((await store.readStream(s)).map((e) => e.id)).toEqual(acked.get(s));

    const refused = store.subscribe(1, () => {});
    expect(await refused.done.catch((e: unknown) => (e as IpamError).code)).toBe('RevisionCompacted');

    const seen: RecordedEvent[] = [];
    const compactedAt: number[] = [];
    const sub = store.subscribe(
      1,
      (b) => {
        seen.push(...b);
      },
      {
        onCompacted: async (available) => {
          compactedAt.push(available);
          return available; // a real subscriber loads its snapshot here
        },
      },
    );
    const a = nextEvents(s, version, 1);
    await store.append([a]);
    const end = Date.now() + 30_000;
    while (!seen.some((e) => e.id === a.events[0]?.id) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    expect(compactedAt).toHaveLength(1);
    expect(seen.some((e) => e.id === a.events[0]?.id)).toBe(true);
    expect(seen.every((e) => e.revision >= (compactedAt[0] as number))).toBe(true);
  });
});
