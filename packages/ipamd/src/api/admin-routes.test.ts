import { api } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestServer } from '../testing/index.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ nodes: ['node-a', 'node-b'] });
});
afterAll(async () => {
  await s.close();
});

describe('introspection (admin)', () => {
  it.each([
    { path: '/v1/nodes', schema: api.NodeListSchema, method: 'listNodes' },
    { path: '/v1/nodes/node-b', schema: api.NodeDetailSchema, method: 'node' },
    { path: '/v1/enis', schema: api.EniListSchema, method: 'enis' },
    { path: '/v1/claims', schema: api.ClaimListSchema, method: 'claims' },
  ])('GET $path answers its view', async ({ path, schema, method }) => {
    const r = await call(s.url, 'GET', path, { auth: s.adminAuth });
    expect(r.status).toBe(200);
    schema.parse(r.body);
    expect(s.service.calls.at(-1)?.method).toBe(method);
  });

  it.each([
    '/v1/nodes',
    '/v1/nodes/node-a',
    '/v1/enis',
    '/v1/claims',
  ])('GET %s refuses a node token (403)', async (p) => {
    const before = s.service.callCount;
    const r = await call(s.url, 'GET', p, { auth: s.nodeAuth('node-a') });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([403, 'Forbidden']);
    expect(s.service.callCount).toBe(before);
  });

  it('GET /v1/nodes/{unknown} -> 404', async () => {
    const r = await call(s.url, 'GET', '/v1/nodes/node-q', { auth: s.adminAuth });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([404, 'NodeNotFound']);
  });

  it('DELETE /v1/nodes -> 405', async () => {
    const r = await call(s.url, 'DELETE', '/v1/nodes', { auth: s.adminAuth });
    expect(r.status).toBe(405);
  });
});

describe('probes and metrics (no credentials)', () => {
  it('/healthz answers 200 {ok:true}', async () => {
    const r = await call(s.url, 'GET', '/healthz');
    expect([r.status, r.body]).toEqual([200, { ok: true }]);
  });

  it('/readyz answers 503 with the failed checks while not ready', async () => {
    s.service.isReady = false;
    const r = await call(s.url, 'GET', '/readyz');
    expect([r.status, r.body]).toEqual([503, { ok: false, checks: { projections: 'catching up' } }]);
    s.service.isReady = true;
    expect((await call(s.url, 'GET', '/readyz')).status).toBe(200);
  });

  it('/metrics answers Prometheus text with the HTTP request counter', async () => {
    await call(s.url, 'GET', '/healthz');
    const r = await call(s.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toContain('eni_ipam_http_requests_total{method="GET",route="/healthz",status="200"}');
    expect(r.text).toContain('# TYPE eni_ipam_allocation_duration_seconds histogram');
  });
});
