/** `ipamctl` as a real process against a real etcd (the store's harness), as an operator runs it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterFor, startTestSimulator, TEST_CREDENTIALS, TEST_REGION, TEST_VPC } from '@eni-ipam/cloud/testing';
import { decodeEvent, type EventEnvelope } from '@eni-ipam/core';
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

describe('verify --cloud against the VPC simulator (real SDK over HTTP)', () => {
  const CLOUD_CLUSTER = 'cls-cloud';
  let sim: Awaited<ReturnType<typeof startTestSimulator>>;
  let api: ReturnType<typeof adapterFor>;
  let eniId: string;
  let ips: readonly string[];

  beforeAll(async () => {
    sim = await startTestSimulator();
    api = adapterFor(sim, { clusterId: CLOUD_CLUSTER });
    const instanceId = 'ins-00000000';
    const subnetId = 'subnet-pods0001';
    const eni = await api.createEni({ clientToken: 'c1', vpcId: TEST_VPC, subnetId, name: 'n', tags: [] });
    eniId = eni.eniId;
    await api.attachEni({ clientToken: 'a1', eniId, instanceId });
    ips = await api.assignIps({ clientToken: 'b1', eniId, count: 2 });
    // the log of what ipamd would have recorded for those calls
    const stream = 'node/node-c';
    const data: [string, unknown][] = [
      ['NodeRegistered', { node: 'node-c', instanceId, zone: 'ap-guangzhou-3', limits: { maxEnis: 4, ipsPerEni: 10 } }],
      ['EniCreateRequested', { intentId: 'c1', clientToken: 'c1', subnetId, why: 'test' }],
      ['EniCreated', { intentId: 'c1', eniId, subnetId, primaryIp: eni.primaryIp, mac: eni.mac }],
      ['EniAttachRequested', { intentId: 'a1', clientToken: 'a1', eniId, instanceId, why: 'test' }],
      ['EniAttached', { intentId: 'a1', eniId }],
      ['IpBindRequested', { intentId: 'b1', clientToken: 'b1', eniId, subnetId, ips, why: 'test' }],
      ['IpsBound', { intentId: 'b1', eniId, ips }],
    ];
    const events: EventEnvelope[] = data.map(([type, d], i) => ({
      id: `x${i}`,
      stream,
      seq: i + 1,
      type,
      v: 1,
      at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      by: { replica: 'test', term: 1 },
      cause: {},
      data: d,
    }));
    const s = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints },
      prefix: `/eni-ipam/${CLOUD_CLUSTER}`,
      decode: decodeEvent,
    });
    await s.append([{ stream, expectedVersion: 0, events }]);
    await s.close();
  });

  afterAll(async () => {
    await sim?.stop();
  });

  const cloudArgs = ['--region', TEST_REGION, '--cloud-endpoint', '', 'verify', '--cloud'];
  const verifyCloud = () => {
    cloudArgs[3] = `http://127.0.0.1:${sim.port}`;
    return ipamctl(cloudArgs, {
      ENI_IPAM_CLUSTER_ID: CLOUD_CLUSTER,
      TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
      TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
    });
  };

  it('the cloud shows exactly the log: exit 0', async () => {
    const r = await verifyCloud();
    expect(r.err).toBe('');
    expect(r.out).toContain('4 (cloud)');
    expect(r.code).toBe(0);
  });

  it('a leaked ENI and an address unbound behind the log are reported: exit 1', async () => {
    const leak = await api.createEni({
      clientToken: 'c2',
      vpcId: TEST_VPC,
      subnetId: 'subnet-pods0001',
      name: 'n',
      tags: [],
    });
    await api.unassignIps({ clientToken: 'u1', eniId, ips: [ips[0] as string] });
    const r = await verifyCloud();
    expect(r.out).toContain(`${leak.eniId} is in the cloud`);
    expect(r.out).toContain(`${ips[0]} is bound to ${eniId} in the log but not in the cloud`);
    expect(r.code).toBe(1);
  });
});
