/** `ipamctl` as a real process against a real etcd (the store's harness), as an operator runs it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvent } from '@eni-ipam/core';
import { EtcdEventStore } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handOverScenario, writeLog } from './testing/churn.js';

const bin = fileURLToPath(new URL('../../bin/ipamctl.mjs', import.meta.url));

interface Run {
  code: number;
  out: string;
  err: string;
}

let etcd: EtcdCluster;
let store: EtcdEventStore;
let archiveDir: string;
const scenario = handOverScenario();
const CLUSTER = 'cls-ctl';

const ipamctl = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ENI_IPAM_CLUSTER_ID: CLUSTER,
          ENI_IPAM_ETCD_ENDPOINTS: etcd.endpoints.join(','),
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });

beforeAll(async () => {
  etcd = await startEtcd();
  archiveDir = mkdtempSync(join(tmpdir(), 'ipamctl-archive-'));
  store = new EtcdEventStore({
    connection: { endpoints: etcd.endpoints },
    prefix: `/eni-ipam/${CLUSTER}`,
    decode: decodeEvent,
    archiveDir,
  });
  await writeLog(store, scenario.churn.sim.log);
});

afterAll(async () => {
  await store?.close();
  await etcd?.cleanup();
  if (archiveDir) rmSync(archiveDir, { recursive: true, force: true });
});

describe('ipamctl against etcd', () => {
  it('history ip shows the address passing from p1 to p2 (table and JSON)', async () => {
    expect(scenario.sameIp).toBe(true);
    const table = await ipamctl(['history', 'ip', scenario.ip]);
    expect(table.err).toBe('');
    expect(table.code).toBe(0);
    const rows = table.out.split('\n').filter((l) => l.startsWith(scenario.ip));
    expect(rows[0]).toContain('default/p1');
    expect(rows[1]).toContain('default/p2');
    const json = await ipamctl(['-o', 'json', 'history', 'ip', scenario.ip]);
    const h = JSON.parse(json.out) as { holders: { pod: string; to?: string }[] };
    expect(h.holders.map((x) => x.pod)).toEqual(['default/p1', 'default/p2']);
    expect(h.holders[1]?.to).toBeUndefined();
  });

  it('verify exits 0 on the clean log, with the snapshot taken by `snapshot`', async () => {
    const snap = await ipamctl(['snapshot']);
    expect(snap.code).toBe(0);
    expect(snap.out).toMatch(/snapshot projection saved/);
    const v = await ipamctl(['verify']);
    expect(v.out).toContain('OK: no violations');
    expect(v.out).toContain('5 (snapshot)');
    expect(v.code).toBe(0);
  });

  it('archive --before moves old events out of etcd; history still spans archive + etcd', async () => {
    const last = scenario.churn.sim.log[scenario.churn.sim.log.length - 1]?.at as string;
    const a = await ipamctl(['--archive-dir', archiveDir, 'archive', '--before', last]);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/node\/node-a 1\.\.\d+ -> /);
    const live = await store.readAll(1);
    expect(live.events.filter((e) => e.stream === 'node/node-a').length).toBeLessThan(3);
    const h = await ipamctl(['--archive-dir', archiveDir, '-o', 'json', 'history', 'ip', scenario.ip]);
    expect((JSON.parse(h.out) as { holders: { pod: string }[] }).holders.map((x) => x.pod)).toEqual([
      'default/p1',
      'default/p2',
    ]);
  });

  it('verify exits 1 and names the violation once two pods hold one IP (appended raw)', async () => {
    const stream = 'node/node-a';
    const seq = (await store.streamVersion(stream)) + 1;
    const eniId = Object.values(scenario.churn.state('node-a').allocations)[0]?.eniId as string;
    await store.append([
      {
        stream,
        expectedVersion: seq - 1,
        events: [
          {
            id: 'planted-1',
            stream,
            seq,
            type: 'IpAllocated',
            v: 1,
            at: '2026-01-02T00:00:00.000Z',
            by: { replica: 'rogue', term: 1 },
            cause: {},
            data: {
              pod: { namespace: 'default', name: 'intruder' },
              containerId: 'kx',
              ip: scenario.ip,
              eniId,
              why: 'planted',
            },
          },
        ],
      },
    ]);
    const v = await ipamctl(['--archive-dir', archiveDir, 'verify']);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`ip/${scenario.ip}`);
    expect(v.out).toContain('default/intruder');
  });

  it.each([
    { args: ['history', 'ip', '10.0.0.300'], msg: /IP "10\.0\.0\.300": invalid IPv4 address/ },
    {
      args: ['history', 'pod', 'default/p1', '--since', 'yesterday'],
      msg: /--since: "yesterday" is not an ISO-8601 time/,
    },
    { args: ['frobnicate'], msg: /unknown command 'frobnicate'/ },
    { args: ['state'], msg: /exactly one of --at TIME or --revision R/ },
  ])('bad input $args exits 2 with a clear message', async ({ args, msg }) => {
    const r = await ipamctl(args);
    expect(r.err).toMatch(msg);
    expect(r.code).toBe(2);
  });

  it('an unreachable etcd exits 3', async () => {
    const r = await ipamctl(['--timeout', '1000', 'status'], { ENI_IPAM_ETCD_ENDPOINTS: 'http://127.0.0.1:1' });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^ipamctl: /);
  });
});
