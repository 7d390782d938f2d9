/**
 * Item 8: etcd's database size after a month of pod churn in compressed time, with the leader's
 * log maintenance (LogMaintenance: snapshot, archive what is older than the retention, compact,
 * defragment) on and off, on an etcd whose --quota-backend-bytes the "off" run reaches. The churn
 * events are appended straight to etcd (scale/month-churn.ts: the node-stream events the product
 * writes for pod starts and stops); a ProjectionHost follows the log and saves its snapshots
 * every 5,000 events as a replica does; maintenance runs once per simulated day with a 7-day
 * retention. Figure: the db size at the end with it on; baseline: the same without it; the target
 * is that the "on" run never reaches the quota (no NOSPACE) while the "off" run shows it would.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEvent, isIpamError, ManualClock } from '@eni-ipam/core';
import { LogMaintenance, ProjectionHost } from '@eni-ipam/ipamd';
import { Archiver, EtcdEventStore } from '@eni-ipam/store';
import { startEtcd } from '@eni-ipam/store/testing';
import { type ChurnShape, MonthChurn } from '../scale/month-churn.js';
import type { BenchContext, BenchItem, BenchResult } from '../types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 9, 1);

interface MonthRun {
  archival: boolean;
  days: number;
  events: number;
  dbSizeEnd: number;
  dbSizeMax: number;
  /** Simulated day on which an append was refused with NOSPACE, if any. */
  noSpaceDay: number | null;
  archivedEvents: number;
  dbSizeByDay: number[];
  wallMs: number;
}

const month = async (
  ctx: BenchContext,
  shape: ChurnShape & { days: number; quota: number },
  archival: boolean,
): Promise<MonthRun> => {
  const started = Date.now();
  const etcd = await startEtcd({ quotaBackendBytes: shape.quota });
  const archiveDir = join(ctx.tmpDir, archival ? 'archive-on' : 'archive-off');
  mkdirSync(archiveDir, { recursive: true });
  const store = new EtcdEventStore({
    connection: { endpoints: etcd.endpoints },
    prefix: '/eni-ipam/bench8',
    decode: decodeEvent,
    archiveDir,
  });
  const host = new ProjectionHost({ store, audit: false }); // snapshots every 5,000 events, the default
  const clock = new ManualClock(START);
  const maintenance = new LogMaintenance({
    host,
    store,
    archiver: new Archiver({ store, archiveDir, connection: { endpoints: etcd.endpoints } }),
    clock,
    retentionMs: 7 * DAY,
  });
  const churn = new MonthChurn(store, shape);
  const dbSize = async () => Number((await store.client.maintenance.status()).dbSize);
  const out: MonthRun = {
    archival,
    days: 0,
    events: 0,
    dbSizeEnd: 0,
    dbSizeMax: 0,
    noSpaceDay: null,
    archivedEvents: 0,
    dbSizeByDay: [],
    wallMs: 0,
  };
  try {
    await host.start();
    await churn.setup(clock.now());
    for (let day = 1; day <= shape.days; day++) {
      try {
        for (let h = 0; h < 24; h++) {
          clock.advance(HOUR);
          await churn.hour(clock.now());
        }
        const head = churn.lastRevision;
        await host.waitFor(head, 60_000).catch((e: unknown) => {
          throw new Error(
            `the projection host did not reach revision ${head} (at ${host.appliedRevision}; ${String(host.failed ?? e)})`,
          );
        });
        if (archival) out.archivedEvents += (await maintenance.run()).archivedEvents;
      } catch (e) {
        if (!isIpamError(e, 'StoreNoSpace')) throw e;
        out.noSpaceDay = day;
      }
      const size = await dbSize();
      out.dbSizeByDay.push(size);
      out.dbSizeMax = Math.max(out.dbSizeMax, size);
      out.days = day;
      if (out.noSpaceDay !== null) break; // etcd refuses every write from here on
      if (day % 5 === 0)
        ctx.log(`item 8 (${archival ? 'on' : 'off'}): day ${day}, ${churn.events} events, db ${size} B`);
    }
    out.dbSizeEnd = await dbSize();
    out.events = churn.events;
    out.wallMs = Date.now() - started;
    return out;
  } finally {
    await host.stop();
    await maintenance.stop();
    await store.close();
    await etcd.cleanup();
  }
};

const item: BenchItem = {
  id: '8-etcd-size',
  title: 'etcd database size after a month of churn, archival on vs off',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const shape = ctx.quick
      ? { nodes: 10, live: 40, startsPerHour: 2, days: 30, quota: 16 * 1024 ** 2 }
      : { nodes: 50, live: 60, startsPerHour: 3, days: 30, quota: 64 * 1024 ** 2 };
    ctx.log(
      `item 8: ${shape.nodes} nodes, ${shape.startsPerHour * 24} pod starts per node per day, quota ${shape.quota} B`,
    );
    const off = await month(ctx, shape, false);
    const on = await month(ctx, shape, true);
    const MB = (b: number) => Math.round((b / 1024 ** 2) * 10) / 10;
    return [
      {
        key: 'etcdSizeArchival',
        title: `etcd db after ${on.days} simulated days of churn (${on.events} events), archival on`,
        figure: on.dbSizeEnd,
        unit: 'B',
        baseline: off.dbSizeEnd,
        baselineLabel: `archival off (${off.noSpaceDay === null ? `${off.days} days` : `NOSPACE on day ${off.noSpaceDay}`})`,
        ratio: Math.round((on.dbSizeEnd / off.dbSizeEnd) * 1000) / 1000,
        target: 'quota never reached with archival on',
        pass: on.noSpaceDay === null && on.dbSizeMax < shape.quota,
        details: {
          ...shape,
          quotaMB: MB(shape.quota),
          on: { ...on, dbSizeEndMB: MB(on.dbSizeEnd), dbSizeMaxMB: MB(on.dbSizeMax) },
          off: { ...off, dbSizeEndMB: MB(off.dbSizeEnd), dbSizeMaxMB: MB(off.dbSizeMax) },
          offReachedQuota: off.noSpaceDay !== null,
          maintenance: 'once per simulated day: snapshot, archive events older than 7 days, compact, defragment',
        },
      },
    ];
  },
};

export default item;
