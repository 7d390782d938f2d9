/**
 * `ipamctl history ip X` end to end against a real etcd (run by hand; too slow for CI at 1M):
 * a generated log of N events (default 1,000,000) is written to a harness etcd, then the bin
 * runs as an operator would run it and its wall time is measured.
 *
 *   node --conditions=source --import tsx packages/ipamd/src/ipamctl/bench/etcd-history-bench.ts [N]
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeEvent } from '@eni-ipam/core';
import { EtcdEventStore } from '@eni-ipam/store';
import { startEtcd } from '@eni-ipam/store/testing';
import { generateLog, ipOf } from './generate-log.js';

const total = Number(process.argv[2] ?? 1_000_000);
const bin = fileURLToPath(new URL('../../../bin/ipamctl.mjs', import.meta.url));
const etcd = await startEtcd({ quotaBackendBytes: 4 * 1024 ** 3 });
try {
  const store = new EtcdEventStore({
    connection: { endpoints: etcd.endpoints },
    prefix: '/eni-ipam/bench',
    decode: decodeEvent,
  });
  const t0 = performance.now();
  await generateLog(store, total);
  const writeMs = Math.round(performance.now() - t0);
  await store.close();
  const runs: number[] = [];
  let rows = 0;
  for (let q = 0; q < 3; q++) {
    const t = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        '--clusterid',
        'bench',
        '--etcd-endpoints',
        etcd.endpoints.join(','),
        '--timeout',
        '60000',
        '-o',
        'json',
        'history',
        'ip',
        ipOf(q * 7, q % 3, q + 1),
      ],
      { maxBuffer: 64 << 20 },
    );
    runs.push(Math.round(performance.now() - t));
    rows += (JSON.parse(stdout) as { holders: unknown[] }).holders.length;
  }
  console.log(JSON.stringify({ events: total, writeMs, historyIpWallMs: runs, holders: rows }, null, 2));
} finally {
  await etcd.cleanup();
}
