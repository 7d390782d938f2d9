/**
 * Log maintenance on real etcd with the real archiver: old events leave etcd below a fresh
 * snapshot, the history still reads whole (archive + etcd), a replica starting afterwards equals
 * the replay of it all, a follower of the log keeps following through the compaction, and a run
 * that fails half-way loses nothing and is finished by the next one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvent, ManualClock, project } from '@eni-ipam/core';
import { Archiver, EtcdEventStore } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHistory } from '../ipamctl/commands/load.js';
import { appendsOf, Churn } from '../ipamctl/testing/churn.js';
import { ProjectionHost } from '../service/projection-host.js';
import { type LogArchiver, LogMaintenance } from './log-maintenance.js';

const DAY = 86_400_000;
const idOf = (e: { stream: string; seq: number }) => `${e.stream}/${e.seq}`;

describe('LogMaintenance', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  let archiveDir: string;
  let host: ProjectionHost;
  let c: Churn;

  beforeEach(async () => {
    etcd = await startEtcd();
    archiveDir = mkdtempSync(join(tmpdir(), 'log-maint-'));
    store = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints },
      prefix: '/eni-ipam/maint',
      decode: decodeEvent,
      archiveDir,
    });
    // given ten days of pods coming and going on two nodes
    c = new Churn({}, ['node-a', 'node-b']);
    for (let i = 0; i < 40; i++) {
      c.add(i % 2 ? 'node-a' : 'node-b', `p${i}`);
      c.sim.now += DAY / 4;
      if (i >= 3) c.remove(i % 2 ? 'node-b' : 'node-a', `p${i - 3}`);
    }
    for (const a of appendsOf(c.sim.log)) await store.append(a);
    host = new ProjectionHost({ store, snapshotEvery: 0 });
    await host.start();
  }, 60_000);

  afterEach(async () => {
    await host?.stop();
    await store?.close();
    await etcd?.cleanup();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  const archiverOf = () => new Archiver({ store, archiveDir, connection: { endpoints: etcd.endpoints } });

  it('moves what is older than the retention to the archive; history, replay and followers stay whole', async () => {
    const before = await loadHistory(store);
    const clock = new ManualClock(c.sim.now);
    const m = new LogMaintenance({ host, store, archiver: archiverOf(), clock, retentionMs: 3 * DAY });
    // when it runs
    const r = await m.run();
    // then old events left etcd, newer ones and each stream's last stayed
    expect(r.archivedEvents).toBeGreaterThan(before.length / 2);
    // compacted at the snapshot: a replica following below the head can still continue from it
    expect(r.compactedAt).toBe(r.snapshotRevision);
    expect(r.dbSize).toBeGreaterThan(0);
    const live = (await store.readAll(1, Number.MAX_SAFE_INTEGER)).events;
    expect(live.length).toBe(before.length - r.archivedEvents);
    const cutoff = clock.now() - 3 * DAY;
    const lastOf = new Map(live.map((e) => [e.stream, e.seq]));
    for (const e of live) if (e.seq !== lastOf.get(e.stream)) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(cutoff);
    // the history reads the same across archive and etcd
    const after = await loadHistory(store);
    expect(after.map(idOf)).toEqual(before.map(idOf));
    // a replica starting now (snapshot, then the live tail) equals the replay of it all
    const fresh = new ProjectionHost({ store, snapshotEvery: 0 });
    await fresh.start();
    expect(fresh.projection).toEqual(project(after));
    await fresh.stop();
    // the running host still follows the log after the deletes and the compaction
    c.add('node-a', 'late');
    const tail = c.sim.log.slice(before.length);
    for (const a of appendsOf(tail)) await store.append(a);
    const head = await store.headRevision();
    await host.waitFor(head, 10_000);
    expect(Object.values(host.node('node-a').allocations).some((a) => a.pod.name === 'late')).toBe(true);
  });

  it('a run that fails half-way loses nothing, and the next run finishes the work', async () => {
    const before = await loadHistory(store);
    const real = archiverOf();
    let calls = 0;
    const flaky: LogArchiver = {
      archiveStream: async (stream, beforeSeq) => {
        calls += 1;
        if (calls === 2) throw new Error('disk full');
        return real.archiveStream(stream, beforeSeq);
      },
      maintain: (revision) => real.maintain(revision),
    };
    const m = new LogMaintenance({ host, store, archiver: flaky, clock: new ManualClock(c.sim.now), retentionMs: DAY });
    await expect(m.run()).rejects.toThrow('disk full');
    expect((await loadHistory(store)).map(idOf)).toEqual(before.map(idOf));
    const r = await m.run();
    expect(r.archivedEvents).toBeGreaterThan(0);
    expect((await loadHistory(store)).map(idOf)).toEqual(before.map(idOf));
    // nothing older than the retention is left but each stream's last event
    const live = (await store.readAll(1, Number.MAX_SAFE_INTEGER)).events;
    const lastOf = new Map(live.map((e) => [e.stream, e.seq]));
    const cutoff = c.sim.now - DAY;
    for (const e of live) if (e.seq !== lastOf.get(e.stream)) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(cutoff);
  });
});
