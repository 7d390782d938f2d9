/**
 * `ipamctl history --ipamd URL` (the live audit index of a running ipamd's projection host) and
 * offline `ipamctl history` (replay of etcd + archive) give the same answers on the same log,
 * half of it archived: real etcd, the real ipamctl process, the real HTTP route.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvent } from '@eni-ipam/core';
import { Archiver, EtcdEventStore } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer, listen } from '../api/server.js';
import { HmacAuthenticator } from '../auth/hmac-authenticator.js';
import { createLogger } from '../observability/logger.js';
import { IpamdMetrics } from '../observability/metrics.js';
import { ProjectionHost } from '../service/projection-host.js';
import { RecordingIpamService, TEST_ADMIN_TOKEN, TEST_SECRET } from '../testing/index.js';
import { appendsOf, Churn } from './testing/churn.js';

const bin = fileURLToPath(new URL('../../bin/ipamctl.mjs', import.meta.url));
const CLUSTER = 'cls-hist';

let etcd: EtcdCluster;
let store: EtcdEventStore;
let archiveDir: string;
let host: ProjectionHost;
let app: FastifyInstance;
let url: string;

const ipamctl = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) => {
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
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout, err: stderr }),
    );
  });

beforeAll(async () => {
  etcd = await startEtcd();
  archiveDir = mkdtempSync(join(tmpdir(), 'ipamctl-hist-'));
  store = new EtcdEventStore({
    connection: { endpoints: etcd.endpoints },
    prefix: `/eni-ipam/${CLUSTER}`,
    decode: decodeEvent,
    archiveDir,
  });
  // given pods churning on two nodes (addresses handed over many times)
  const c = new Churn({}, ['node-a', 'node-b']);
  for (let i = 0; i < 24; i++) {
    c.add(i % 2 ? 'node-a' : 'node-b', `p${i}`);
    c.sim.now += 30_000;
    if (i >= 3) c.remove(i % 2 ? 'node-b' : 'node-a', `p${i - 3}`);
  }
  for (const a of appendsOf(c.sim.log)) await store.append(a);
  // ipamd's snapshot, then the older half of each node stream archived out of etcd
  const first = new ProjectionHost({ store, snapshotEvery: 0 });
  await first.start();
  await first.saveSnapshot();
  await first.stop();
  const archiver = new Archiver({ store, archiveDir, connection: { endpoints: etcd.endpoints } });
  for (const node of ['node-a', 'node-b']) {
    const v = await store.streamVersion(`node/${node}`);
    await archiver.archiveStream(`node/${node}`, Math.floor(v / 2));
  }
  // a restarted ipamd: snapshot, then the audit index rebuilt across archive + etcd
  host = new ProjectionHost({ store, snapshotEvery: 0 });
  await host.start();
  await host.waitForAudit(60_000);
  app = buildApiServer({
    service: new RecordingIpamService(['node-a', 'node-b']),
    authenticator: new HmacAuthenticator({ clusterSecret: TEST_SECRET, adminToken: TEST_ADMIN_TOKEN }),
    metrics: new IpamdMetrics(),
    logger: createLogger({ level: 'silent' }),
    replicaId: 'r1',
    history: host,
  });
  url = await listen(app, '127.0.0.1', 0);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await host?.stop();
  await store?.close();
  await etcd?.cleanup();
  if (archiveDir) rmSync(archiveDir, { recursive: true, force: true });
});

describe('ipamctl history: --ipamd and offline agree', () => {
  it('given a half-archived log, when asked about addresses, pods and ENIs both ways, then the same JSON', async () => {
    const audit = host.audit;
    const hot = Object.entries(audit.ipHolders).sort((a, b) => b[1].length - a[1].length)[0]?.[0] as string;
    expect(audit.ipHolders[hot]?.length).toBeGreaterThan(1);
    const firstFrom = audit.ipHolders[hot]?.[1]?.from as string;
    const subjects = [
      ['ip', hot, '--since', firstFrom],
      ['pod', 'default/p0'],
      ['eni', Object.keys(audit.eniLife)[0] as string],
    ];
    const live = { IPAMCTL_IPAMD: url, ENI_IPAM_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
    for (const s of subjects) {
      const [a, b] = await Promise.all([
        ipamctl(['-o', 'json', 'history', ...s], live),
        ipamctl(['--archive-dir', archiveDir, '-o', 'json', 'history', ...s]),
      ]);
      expect([s, a.code, a.err]).toEqual([s, 0, '']);
      expect([s, b.code, b.err]).toEqual([s, 0, '']);
      expect(JSON.parse(a.out)).toEqual(JSON.parse(b.out));
    }
    // the pod's archived hold is in both (its allocation left etcd)
    const pod = JSON.parse((await ipamctl(['-o', 'json', 'history', 'pod', 'default/p0'], live)).out);
    expect(pod.holdings.length).toBeGreaterThan(0);
  }, 120_000);

  it('verify --ipamd compares the projection ipamd serves with the replay: exit 0 on the sound log', async () => {
    const v = await ipamctl(['--archive-dir', archiveDir, '--ipamd', url, 'verify'], {
      ENI_IPAM_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    expect([v.code, v.err]).toEqual([0, '']);
    expect(v.out).toContain('5 (ipamd live projection)');
  }, 60_000);

  it('--ipamd: a bad token exits 1 (rejected), an unreachable ipamd exits 3', async () => {
    const bad = await ipamctl(['history', 'ip', '10.0.1.5', '--ipamd', url], {
      ENI_IPAM_ADMIN_TOKEN: 'wrong-token-0123456789abcdef0123456789',
    });
    expect([bad.code, bad.err]).toEqual([1, expect.stringContaining('ipamd 401')]);
    const down = await ipamctl(['--ipamd', 'http://127.0.0.1:9', 'history', 'ip', '10.0.1.5'], {
      ENI_IPAM_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    expect(down.code).toBe(3);
  }, 60_000);
});
