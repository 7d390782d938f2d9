/**
 * Store benchmark: `npm run bench:store` (a table) or `npm run bench:store -- --json`.
 *
 * On one fresh single-member etcd (Debian /usr/bin/etcd, data on /dev/shm):
 * 1. raw etcd put throughput, 64 concurrent clients, 200-byte values;
 * 2. single-event append throughput, 64 concurrent writers over 1,000 streams (group commit);
 * 3. p50/p99 latency of both at half the raw peak rate (open loop, paced);
 * 4. catch-up read rate of a subscriber from revision 1 vs a raw paginated range read of the same keys.
 * The machine may be shared: phases alternate raw/store for --rounds N (default 2); peak throughputs
 * are the best round, latencies are pooled, read rates are medians.
 * Options: --seconds N (per phase, default 4), --rounds N, --json.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@eni-ipam/core';
import { createEtcdClient, EtcdEventStore } from '../src/index.js';
import { startEtcd } from '../src/testing/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 4;
const CONCURRENCY = 64;
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 2;
const STREAMS = 1000;

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Closed loop: `CONCURRENCY` workers as fast as they can for `ms`; returns ops/s. */
const closedLoop = async (ms: number, op: (worker: number, k: number) => Promise<void>): Promise<number> => {
  const end = performance.now() + ms;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let k = 0; performance.now() < end; k++) {
        await op(w, k);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
};

/** Open loop at `rate` ops/s (at most CONCURRENCY outstanding) for `ms`; returns latencies in ms. */
const paced = async (rate: number, ms: number, op: (k: number) => Promise<void>): Promise<number[]> => {
  const lat: number[] = [];
  const t0 = performance.now();
  const total = Math.floor((rate * ms) / 1000);
  let outstanding = 0;
  const all: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = t0 + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (outstanding >= CONCURRENCY) await new Promise((r) => setImmediate(r));
    outstanding++;
    const start = performance.now();
    all.push(
      op(k).then(() => {
        lat.push(performance.now() - start);
        outstanding--;
      }),
    );
  }
  await Promise.all(all);
  return lat;
};

const event = (stream: string, seq: number): EventEnvelope => ({
  id: randomUUID(),
  stream,
  seq,
  type: 'IpAllocated',
  v: 1,
  at: new Date(0).toISOString(),
  by: { replica: 'bench', term: 1 },
  cause: { podUid: randomUUID() },
  data: { ip: '10.0.0.1', eni: 'eni-12345678' },
});

const main = async (): Promise<void> => {
  const etcd = await startEtcd();
  try {
    const connection = { endpoints: etcd.endpoints, callTimeoutMs: 30_000 };
    const raw = createEtcdClient(connection);
    const store = new EtcdEventStore({ connection, prefix: '/bench', append: { appendTimeoutMs: 60_000 } });
    const value = 'v'.repeat(200);
    const ms = seconds * 1000;

    // the machine is shared: every phase runs ROUNDS times, alternating raw and store, and we keep
    // the best throughput and the pooled latencies, the median read rates
    const rawPut = () =>
      closedLoop(ms, (w, k) =>
        raw
          .put(`/raw/${w}/${k % 1000}`)
          .value(value)
          .exec()
          .then(() => {}),
      );

    // 2. append peak: each writer owns streams w, w+64, ... (no conflicts), one event per append
    const versions = new Map<string, number>();
    const appendOne = async (stream: string) => {
      const v = versions.get(stream) ?? 0;
      versions.set(stream, v + 1);
      await store.append([{ stream, expectedVersion: v, events: [event(stream, v + 1)] }]);
    };
    const streamOf = (w: number, k: number) => `node/bench-${(w + CONCURRENCY * k) % STREAMS}`;
    const perWriterK = new Array<number>(CONCURRENCY).fill(0);
    const appendPeak = () => closedLoop(ms, (w) => appendOne(streamOf(w, perWriterK[w]++ as number)));
    let rawPutOps = 0;
    let appendOps = 0;
    for (let r = 0; r < ROUNDS; r++) {
      rawPutOps = Math.max(rawPutOps, await rawPut());
      appendOps = Math.max(appendOps, await appendPeak());
    }
    const sample = (await store.readStream('node/bench-0', 1, 1))[0];
    const eventBytes = sample ? Buffer.byteLength(JSON.stringify(sample)) : 0;

    // 3. latency at half the raw peak
    const half = rawPutOps / 2;
    const rawLat: number[] = [];
    const appendLat: number[] = [];
    let next = 0;
    for (let r = 0; r < ROUNDS; r++) {
      rawLat.push(
        ...(await paced(half, ms, (k) =>
          raw
            .put(`/raw/lat/${k % 1000}`)
            .value(value)
            .exec()
            .then(() => {}),
        )),
      );
      appendLat.push(...(await paced(half, ms, () => appendOne(`node/bench-${next++ % STREAMS}`))));
    }

    // 4. catch-up vs raw paginated range read of the same keys
    const head = await store.headRevision();
    const rawRead = async (): Promise<{ keys: number; rate: number }> => {
      const t0 = performance.now();
      let keys = 0;
      let key = '/bench/log/';
      for (;;) {
        const res = await raw.kv.range({ key: Buffer.from(key), range_end: Buffer.from('/bench/log0'), limit: 1000 });
        keys += res.kvs.length;
        const last = res.kvs[res.kvs.length - 1];
        if (!res.more || !last) break;
        key = `${last.key.toString()}\0`;
      }
      return { keys, rate: keys / ((performance.now() - t0) / 1000) };
    };
    const catchUp = async (): Promise<{ events: number; rate: number }> => {
      const t0 = performance.now();
      let delivered = 0;
      await new Promise<void>((resolve, reject) => {
        const sub = store.subscribe(1, (batch) => {
          delivered += batch.length;
          if ((batch[batch.length - 1]?.revision ?? 0) >= head) void sub.close().then(resolve);
        });
        sub.done.catch(reject);
      });
      return { events: delivered, rate: delivered / ((performance.now() - t0) / 1000) };
    };
    const rawRates: number[] = [];
    const catchupRates: number[] = [];
    let rawKeys = 0;
    let delivered = 0;
    for (let r = 0; r < 2 * ROUNDS + 1; r++) {
      const a = await rawRead();
      const b = await catchUp();
      rawKeys = a.keys;
      delivered = b.events;
      rawRates.push(a.rate);
      catchupRates.push(b.rate);
    }
    const rawReadRate = pct(rawRates, 50);
    const catchupRate = pct(catchupRates, 50);

    const result = {
      etcd: '3.4 (Debian), one member, data on /dev/shm',
      concurrency: CONCURRENCY,
      streams: STREAMS,
      secondsPerPhase: seconds,
      rounds: ROUNDS,
      rawPutOpsPerSec: round(rawPutOps, 0),
      appendOpsPerSec: round(appendOps, 0),
      appendVsRawPutThroughput: round(appendOps / rawPutOps),
      eventBytes,
      latencyAtHalfRawPeak: {
        rateOpsPerSec: round(half, 0),
        rawPutP50Ms: round(pct(rawLat, 50)),
        rawPutP99Ms: round(pct(rawLat, 99)),
        appendP50Ms: round(pct(appendLat, 50)),
        appendP99Ms: round(pct(appendLat, 99)),
      },
      appendVsRawPutP99: round(pct(appendLat, 99) / pct(rawLat, 99)),
      catchup: {
        events: delivered,
        rawKeys,
        rawRangeReadPerSec: round(rawReadRate, 0),
        catchupEventsPerSec: round(catchupRate, 0),
      },
      catchupVsRawRead: round(catchupRate / rawReadRate),
      targets: { appendVsRawPutThroughput: '>= 1.0', appendVsRawPutP99: '<= 2.0', catchupVsRawRead: '>= 0.7' },
    };
    await store.close();
    raw.close();
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const l = result.latencyAtHalfRawPeak;
      console.table({
        'raw put (64 clients, 200 B)': {
          'ops/s': result.rawPutOpsPerSec,
          'p50 ms @half': l.rawPutP50Ms,
          'p99 ms @half': l.rawPutP99Ms,
        },
        [`append (64 writers, 1000 streams, ${eventBytes} B)`]: {
          'ops/s': result.appendOpsPerSec,
          'p50 ms @half': l.appendP50Ms,
          'p99 ms @half': l.appendP99Ms,
        },
        'raw range read': { 'events/s': result.catchup.rawRangeReadPerSec },
        'subscriber catch-up': { 'events/s': result.catchup.catchupEventsPerSec },
      });
      console.table({
        appendVsRawPutThroughput: { value: result.appendVsRawPutThroughput, target: '>= 1.0' },
        appendVsRawPutP99: { value: result.appendVsRawPutP99, target: '<= 2.0' },
        catchupVsRawRead: { value: result.catchupVsRawRead, target: '>= 0.7' },
      });
    }
  } finally {
    await etcd.cleanup();
  }
};

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
