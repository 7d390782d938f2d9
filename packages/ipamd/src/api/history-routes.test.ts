import type { api } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HmacAuthenticator, nodeToken } from '../auth/hmac-authenticator.js';
import { buildAuditIndex, eniHistory, ipHistory, podHistory } from '../ipamctl/commands/history.js';
import { loadHistory } from '../ipamctl/commands/load.js';
import { handOverScenario, writeLog } from '../ipamctl/testing/churn.js';
import { createLogger } from '../observability/logger.js';
import { IpamdMetrics } from '../observability/metrics.js';
import { ProjectionHost } from '../service/projection-host.js';
import { call, RecordingIpamService, TEST_ADMIN_TOKEN, TEST_SECRET } from '../testing/index.js';
import type { HistorySource } from './history-routes.js';
import { buildApiServer, listen } from './server.js';

const admin = `Bearer ${TEST_ADMIN_TOKEN}`;
let url: string;
let close: () => Promise<void>;
let store: InMemoryEventStore;
let host: ProjectionHost;
let ip: string;
let eniId: string;

beforeAll(async () => {
  const s = handOverScenario();
  ip = s.ip;
  store = new InMemoryEventStore();
  await writeLog(store, s.churn.sim.log);
  host = new ProjectionHost({ store, snapshotEvery: 0 });
  await host.start();
  eniId = Object.keys(host.audit.eniLife)[0] as string;
  const app = buildApiServer({
    service: new RecordingIpamService(['node-a']),
    authenticator: new HmacAuthenticator({ clusterSecret: TEST_SECRET, adminToken: TEST_ADMIN_TOKEN }),
    metrics: new IpamdMetrics(),
    logger: createLogger({ level: 'silent' }),
    replicaId: 'replica-test',
    history: host,
  });
  url = await listen(app, '127.0.0.1', 0);
  close = async () => {
    await app.close();
    await host.stop();
  };
});
afterAll(async () => close());

describe('GET /v1/history/* (live audit index)', () => {
  it('given the hand-over log, when asked about the IP, the pod and the ENI, then the offline answers', async () => {
    const idx = buildAuditIndex(await loadHistory(store));
    const cases: [string, unknown][] = [
      [`/v1/history/ip/${ip}`, ipHistory(idx, ip)],
      ['/v1/history/pod/default/p1', podHistory(idx, 'default/p1')],
      [`/v1/history/eni/${eniId}`, eniHistory(idx, eniId)],
      ['/v1/history/pod/default/never-seen', { pod: 'default/never-seen', holdings: [] }],
    ];
    for (const [path, expected] of cases) {
      const r = await call(url, 'GET', path, { auth: admin });
      expect([path, r.status, r.body]).toEqual([path, 200, expected]);
      expect(r.headers.get('x-applied-revision')).toBe(String(host.appliedRevision));
    }
    expect((ipHistory(idx, ip).holders ?? []).map((h) => h.pod)).toEqual(['default/p1', 'default/p2']);
  });

  it('?since=&until= keep the spans overlapping the window', async () => {
    const all = ipHistory(host.audit, ip);
    const p2From = all.holders[1]?.from as string;
    const r = await call(url, 'GET', `/v1/history/ip/${ip}?since=${encodeURIComponent(p2From)}`, { auth: admin });
    expect((r.body as { holders: { pod: string }[] }).holders.map((h) => h.pod)).toEqual(['default/p2']);
  });

  it('refuses without a token (401) and with a node token (403)', async () => {
    expect((await call(url, 'GET', `/v1/history/ip/${ip}`)).status).toBe(401);
    const r = await call(url, 'GET', `/v1/history/ip/${ip}`, { auth: `Bearer ${nodeToken(TEST_SECRET, 'node-a')}` });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([403, 'Forbidden']);
  });

  it.each([
    ['/v1/history/ip/10.0.1.300', 'InvalidIp'],
    ['/v1/history/ip/not-an-ip', 'InvalidIp'],
    ['/v1/history/pod/Default/p1', 'InvalidInput'],
    ['/v1/history/pod/default/p_1', 'InvalidInput'],
    ['/v1/history/eni/vpc-123', 'InvalidEniId'],
    ['/v1/history/ip/10.0.1.5?since=yesterday', 'InvalidInput'],
    ['/v1/history/ip/10.0.1.5?since=2026-02-01&until=2026-01-01', 'InvalidInput'],
    ['/v1/history/ip/10.0.1.5?since=2026-01-01&since=2026-01-02', 'InvalidInput'],
  ])('GET %s -> 400 %s, nothing appended', async (path, code) => {
    const head = (await store.readAll(1, 1_000_000)).events.length;
    const r = await call(url, 'GET', path, { auth: admin });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([400, code]);
    expect((await store.readAll(1, 1_000_000)).events.length).toBe(head);
  });

  it('GET /v1/projection answers the live projection at its revision (admin only)', async () => {
    const r = await call(url, 'GET', '/v1/projection', { auth: admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(JSON.parse(JSON.stringify({ revision: host.appliedRevision, projection: host.projection })));
    const node = await call(url, 'GET', '/v1/projection', { auth: `Bearer ${nodeToken(TEST_SECRET, 'node-a')}` });
    expect(node.status).toBe(403);
  });

  it('answers 503 while the audit index is rebuilt (a partial one would mislead)', async () => {
    const source: HistorySource = {
      audit: host.audit,
      appliedRevision: 1,
      projection: host.projection,
      ready: false,
      auditReady: false,
    };
    const app = buildApiServer({
      service: new RecordingIpamService(['node-a']),
      authenticator: new HmacAuthenticator({ clusterSecret: TEST_SECRET, adminToken: TEST_ADMIN_TOKEN }),
      metrics: new IpamdMetrics(),
      logger: createLogger({ level: 'silent' }),
      replicaId: 'replica-test',
      history: source,
    });
    const base = await listen(app, '127.0.0.1', 0);
    try {
      for (const path of [`/v1/history/ip/${ip}`, '/v1/projection']) {
        const r = await call(base, 'GET', path, { auth: admin });
        expect([path, r.status, (r.body as api.ApiError).code]).toEqual([path, 503, 'StoreUnavailable']);
      }
      // a rebuild that failed says why (e.g. no archive dir): the operator can act on it
      (source as { auditFailure?: unknown }).auditFailure = new Error('no archiveDir is configured');
      const r = await call(base, 'GET', `/v1/history/ip/${ip}`, { auth: admin });
      expect((r.body as api.ApiError).message).toContain('could not be rebuilt: no archiveDir is configured');
    } finally {
      await app.close();
    }
  });

  it('POST is 405', async () => {
    expect((await call(url, 'POST', `/v1/history/ip/${ip}`, { auth: admin, json: {} })).status).toBe(405);
  });
});
