/**
 * Issue 8 item 7: `ipamctl history ip` on a log of 1,000,000 events spanning etcd and archive
 * (800k archived, 200k live), target p99 < 200 ms. The log (ipamctl's generated churn: 50
 * nodes, 1,500 addresses each held hundreds of times) goes into a real etcd; ipamd's snapshot
 * is taken, 80% of every node stream archived, then a restarted ipamd read side (projection host:
 * snapshot, audit index rebuilt across archive + etcd) serves `/v1/history/ip/:ip` over real
 * HTTP with the admin token. Timed: hot addresses (the most held) and cold ones (ENI primary
 * addresses, never held by a pod), >= 50 queries each, against the baseline of a raw etcd range
 * read of one log key in the same run. Also reported: the audit index's heap per entry.
 * `quick`: 50,000 events.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeEvent } from '@eni-ipam/core';
import { buildApiServer, createLogger, HmacAuthenticator, IpamdMetrics, listen, ProjectionHost } from '@eni-ipam/ipamd';
import { generateLog, ipOf, NODES, RecordingIpamService } from '@eni-ipam/ipamd/testing';
import { Archiver, EtcdEventStore } from '@eni-ipam/store';
import { startEtcd } from '@eni-ipam/store/testing';
import type { BenchContext, BenchItem, BenchResult } from '../types.js';

const TOKEN = 'bench-admin-token-0123456789abcdef-0123';
const QUERIES = 60;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const round = (x: number) => Math.round(x * 1000) / 1000;

/** A full GC when the process allows it (heap figures are meaningless otherwise). */
const gc = (): (() => void) | undefined => {
  setFlagsFromString('--expose-gc');
  const f = runInNewContext('gc') as (() => void) | undefined;
  return typeof f === 'function' ? f : undefined;
};

const run = async (ctx: BenchContext): Promise<BenchResult[]> => {
  const total = ctx.quick ? 50_000 : 1_000_000;
  const etcd = await startEtcd({ quotaBackendBytes: 4 * 1024 ** 3 });
  const prefix = '/eni-ipam/bench-history';
  // generous call deadline: a shared 2-core machine, reads of the whole log
  const connection = { endpoints: etcd.endpoints, callTimeoutMs: 300_000 };
  const store = new EtcdEventStore({
    connection,
    prefix,
    decode: decodeEvent,
    archiveDir: ctx.tmpDir,
  });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    let t = performance.now();
    await generateLog(store, total);
    const writeS = (performance.now() - t) / 1000;
    ctx.log(`7-history: ${total} events written in ${writeS.toFixed(1)} s`);

    // ipamd's snapshot at the head, then 80% of every node stream out to the archive
    const first = new ProjectionHost({ store, snapshotEvery: 0, audit: false, pageSize: 10_000_000 });
    await first.start();
    await first.saveSnapshot();
    await first.stop();
    t = performance.now();
    const archiver = new Archiver({ store, archiveDir: ctx.tmpDir, connection });
    let archived = 0;
    for (let i = 0; i < NODES; i++) {
      const stream = `node/node-${String(i).padStart(3, '0')}`;
      const v = await store.streamVersion(stream);
      archived += (await archiver.archiveStream(stream, Math.floor(v * 0.8) + 1))?.count ?? 0;
    }
    await archiver.maintain();
    const archiveS = (performance.now() - t) / 1000;
    ctx.log(`7-history: ${archived} events archived in ${archiveS.toFixed(1)} s`);

    // a restarted ipamd read side: snapshot, audit index rebuilt across archive + etcd
    const collect = gc();
    collect?.();
    const heapBefore = process.memoryUsage().heapUsed;
    t = performance.now();
    const host = new ProjectionHost({ store, snapshotEvery: 0, pageSize: 10_000_000 });
    cleanups.push(() => host.stop());
    await host.start();
    await host.waitForAudit(3_600_000);
    const startS = (performance.now() - t) / 1000;
    collect?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const a = host.audit;
    const count = (r: Record<string, unknown[]>) => Object.values(r).reduce((n, l) => n + l.length, 0);
    const entries = count(a.ipHolders) + count(a.podHoldings) + count(a.ipBindings) + count(a.eniLife);
    ctx.log(`7-history: ipamd read side ready with its audit index in ${startS.toFixed(1)} s, ${entries} entries`);

    const app = buildApiServer({
      service: new RecordingIpamService([]),
      authenticator: new HmacAuthenticator({ clusterSecret: `${TOKEN}-cluster`, adminToken: TOKEN }),
      metrics: new IpamdMetrics(),
      logger: createLogger({ level: 'silent' }),
      replicaId: 'bench',
      history: host,
    });
    cleanups.unshift(() => app.close());
    const url = await listen(app, '127.0.0.1', 0);
    const ask = async (ip: string): Promise<{ ms: number; spans: number }> => {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/history/ip/${ip}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { holders: unknown[]; bindings: unknown[] };
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`history ${ip}: ${res.status}`);
      return { ms, spans: body.holders.length + body.bindings.length };
    };
    const hotIps = Object.entries(a.ipHolders)
      .sort((x, y) => y[1].length - x[1].length)
      .slice(0, QUERIES)
      .map(([ip]) => ip);
    const coldIps = Array.from({ length: QUERIES }, (_, q) => ipOf(q % NODES, q % 3, 0));
    // warm-up (connection, JIT), not timed: an operator's CLI opens its own connection anyway
    for (const ip of [...hotIps.slice(0, 5), ...coldIps.slice(0, 5)]) await ask(ip);
    const hot: number[] = [];
    const cold: number[] = [];
    let hotSpans = 0;
    for (let q = 0; q < QUERIES; q++) {
      const h = await ask(hotIps[q % hotIps.length] as string);
      hot.push(h.ms);
      hotSpans = Math.max(hotSpans, h.spans);
      cold.push((await ask(coldIps[q] as string)).ms);
    }
    // baseline: a raw etcd range read of one live log key, same run
    const key = store.keys.log('node/node-000', await store.streamVersion('node/node-000'));
    const raw: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const t0 = performance.now();
      await store.client.get(key).buffer();
      raw.push(performance.now() - t0);
    }
    const p99 = Math.max(pct(hot, 99), pct(cold, 99));
    const baseline = pct(raw, 99);
    return [
      {
        key: 'historyIpP99',
        title: `history ip p99 at ${total.toLocaleString('en')} events (etcd + archive), via ipamd's HTTP route`,
        figure: round(p99),
        unit: 'ms',
        baseline: round(baseline),
        baselineLabel: 'raw etcd range read of one log key, p99',
        ratio: round(p99 / baseline),
        target: 'p99 < 200 ms',
        pass: p99 < 200,
        details: {
          events: total,
          archived,
          queries: { hot: hot.length, cold: cold.length },
          hotP50Ms: round(pct(hot, 50)),
          hotP99Ms: round(pct(hot, 99)),
          coldP50Ms: round(pct(cold, 50)),
          coldP99Ms: round(pct(cold, 99)),
          rawEtcdP50Ms: round(pct(raw, 50)),
          hotSpansPerAnswer: hotSpans,
          writeS: round(writeS),
          archiveS: round(archiveS),
          ipamdStartWithAuditS: round(startS),
        },
      },
      {
        key: 'auditIndexBytesPerEntry',
        title: 'audit index heap per entry (spans + ENI life steps)',
        figure: collect ? Math.round((heapAfter - heapBefore) / entries) : Number.NaN,
        unit: 'bytes',
        baseline: null,
        baselineLabel: 'none',
        ratio: null,
        target: 'reported (no target in issue 8)',
        pass: collect ? true : null,
        details: {
          entries,
          heapDeltaMiB: round((heapAfter - heapBefore) / 1024 ** 2),
          note: 'heap after - before the projection host start (projection and ENI facts are < 1% of it)',
        },
      },
    ];
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
    await store.close();
    await etcd.cleanup();
  }
};

const item: BenchItem = { id: '7-history', title: '`ipamctl history ip` on a log spanning etcd and archive', run };
export default item;
