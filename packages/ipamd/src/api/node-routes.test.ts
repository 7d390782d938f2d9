import { api, IpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestServer } from '../testing/index.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ nodes: ['node-a', 'node-b'] });
});
afterAll(async () => {
  await s.close();
});

const allocateBody = (containerId: string) => ({
  pod: { namespace: 'default', name: `pod-${containerId}`, uid: 'u-1' },
  containerId,
  mode: 'shared',
});
const A = '/v1/nodes/node-a';

describe('node routes: happy paths', () => {
  it('POST allocations answers the allocation and passes principal and request id to the service', async () => {
    const r = await call(s.url, 'POST', `${A}/allocations`, {
      auth: s.nodeAuth('node-a'),
      json: allocateBody('c-happy'),
      headers: { 'x-request-id': 'req-123' },
    });
    expect(r.status).toBe(200);
    expect(api.AllocationSchema.parse(r.body).ip).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(r.headers.get('x-request-id')).toBe('req-123');
    const c = s.service.calls.at(-1);
    expect(c).toMatchObject({
      method: 'allocate',
      node: 'node-a',
      args: [allocateBody('c-happy')],
      ctx: { requestId: 'req-123', principal: { kind: 'node', node: 'node-a' } },
    });
  });

  it('a repeated allocation returns the first one', async () => {
    const first = await call(s.url, 'POST', `${A}/allocations`, {
      auth: s.nodeAuth('node-a'),
      json: allocateBody('c-rep'),
    });
    const again = await call(s.url, 'POST', `${A}/allocations`, {
      auth: s.nodeAuth('node-a'),
      json: allocateBody('c-rep'),
    });
    expect(again.body).toEqual(first.body);
  });

  it('the admin may act for any node', async () => {
    const r = await call(s.url, 'POST', '/v1/nodes/node-b/allocations', {
      auth: s.adminAuth,
      json: allocateBody('c-adm'),
    });
    expect(r.status).toBe(200);
    expect(s.service.calls.at(-1)?.ctx?.principal).toEqual({ kind: 'admin' });
  });

  it('DELETE allocations/{containerId} answers 204, also for an unknown container', async () => {
    await call(s.url, 'POST', `${A}/allocations`, { auth: s.nodeAuth('node-a'), json: allocateBody('c-del') });
    const r = await call(s.url, 'DELETE', `${A}/allocations/c-del`, { auth: s.nodeAuth('node-a') });
    expect([r.status, r.text]).toEqual([204, '']);
    expect(s.service.calls.at(-1)).toMatchObject({ method: 'release', node: 'node-a', args: ['c-del'] });
    expect((await call(s.url, 'DELETE', `${A}/allocations/never-seen`, { auth: s.nodeAuth('node-a') })).status).toBe(
      204,
    );
  });

  it('DELETE with content-type application/json and an empty body (as the agent sends it) is fine', async () => {
    const r = await call(s.url, 'DELETE', `${A}/allocations/c-empty`, { auth: s.nodeAuth('node-a'), raw: '' });
    expect(r.status).toBe(204);
  });

  it('GET state answers the node state', async () => {
    const r = await call(s.url, 'GET', `${A}/state`, { auth: s.nodeAuth('node-a') });
    expect(r.status).toBe(200);
    const state = api.NodeStateSchema.parse(r.body);
    expect(state.allocations.map((a) => a.containerId)).toContain('c-happy');
  });

  it('POST acks answers 204 and records the revision', async () => {
    const r = await call(s.url, 'POST', `${A}/acks`, { auth: s.nodeAuth('node-a'), json: { revision: 42 } });
    expect(r.status).toBe(204);
    expect(s.service.acks.get('node-a')).toBe(42);
  });

  it('generates a request id when none (or a malformed one) is given', async () => {
    const r = await call(s.url, 'GET', `${A}/state`, {
      auth: s.nodeAuth('node-a'),
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

const big = JSON.stringify({ ...allocateBody('c-big'), pad: 'x'.repeat(70 * 1024) });

describe('node routes: rejected requests reach nothing', () => {
  it.each([
    {
      name: 'malformed JSON',
      m: 'POST',
      p: `${A}/allocations`,
      o: { raw: '{"pod":' },
      status: 400,
      code: 'InvalidInput',
    },
    { name: 'empty JSON body', m: 'POST', p: `${A}/allocations`, o: { raw: '' }, status: 400, code: 'InvalidInput' },
    { name: 'JSON array', m: 'POST', p: `${A}/allocations`, o: { json: [] }, status: 400, code: 'InvalidInput' },
    { name: 'oversized body', m: 'POST', p: `${A}/allocations`, o: { raw: big }, status: 413, code: 'PayloadTooLarge' },
    {
      name: 'not JSON',
      m: 'POST',
      p: `${A}/allocations`,
      o: { raw: 'pod=x', contentType: 'text/plain' },
      status: 415,
      code: 'UnsupportedMediaType',
    },
    {
      name: 'unknown field',
      m: 'POST',
      p: `${A}/allocations`,
      o: { json: { ...allocateBody('c-x'), extra: 1 } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'missing field',
      m: 'POST',
      p: `${A}/allocations`,
      o: { json: { pod: allocateBody('c').pod, mode: 'shared' } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'bad containerId in body',
      m: 'POST',
      p: `${A}/allocations`,
      o: { json: allocateBody('c/../x') },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'unknown mode',
      m: 'POST',
      p: `${A}/allocations`,
      o: { json: { ...allocateBody('c-m'), mode: 'vlan' } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'bad pod namespace',
      m: 'POST',
      p: `${A}/allocations`,
      o: { json: { ...allocateBody('c-n'), pod: { namespace: 'Kube_System', name: 'p' } } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'prototype poisoning',
      m: 'POST',
      p: `${A}/allocations`,
      o: { raw: '{"__proto__":{"admin":true},"containerId":"c","mode":"shared","pod":{"namespace":"a","name":"b"}}' },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'bad containerId in path',
      m: 'DELETE',
      p: `${A}/allocations/a%20b`,
      o: {},
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'too long containerId in path',
      m: 'DELETE',
      p: `${A}/allocations/${'c'.repeat(129)}`,
      o: {},
      status: 400,
      code: 'InvalidInput',
    },
    { name: 'bad node name', m: 'GET', p: '/v1/nodes/Node_A/state', o: {}, status: 400, code: 'InvalidNodeName' },
    {
      name: 'unknown node',
      m: 'GET',
      p: '/v1/nodes/node-z/state',
      o: { auth: 'admin' },
      status: 404,
      code: 'NodeNotFound',
    },
    {
      name: 'negative ack',
      m: 'POST',
      p: `${A}/acks`,
      o: { json: { revision: -1 } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'fractional ack',
      m: 'POST',
      p: `${A}/acks`,
      o: { json: { revision: 1.5 } },
      status: 400,
      code: 'InvalidInput',
    },
    {
      name: 'string ack',
      m: 'POST',
      p: `${A}/acks`,
      o: { json: { revision: '7' } },
      status: 400,
      code: 'InvalidInput',
    },
    { name: 'wrong method', m: 'PUT', p: `${A}/allocations`, o: {}, status: 405, code: 'MethodNotAllowed' },
    { name: 'GET a write route', m: 'GET', p: `${A}/acks`, o: {}, status: 405, code: 'MethodNotAllowed' },
    { name: 'POST to state', m: 'POST', p: `${A}/state`, o: { json: {} }, status: 405, code: 'MethodNotAllowed' },
    { name: 'unknown route', m: 'GET', p: '/v2/nodes/node-a/state', o: {}, status: 404, code: 'RouteNotFound' },
    { name: 'trailing slash', m: 'GET', p: `${A}/state/`, o: {}, status: 404, code: 'RouteNotFound' },
  ])('$name -> $status $code', async ({ m, p, o, status, code }) => {
    const before = s.service.callCount;
    const r = await call(s.url, m, p, { ...o, auth: 'auth' in o ? s.adminAuth : s.nodeAuth('node-a') });
    expect(r.status).toBe(status);
    expect(api.ApiErrorSchema.parse(r.body)).toMatchObject({ code, message: expect.any(String) });
    expect(s.service.callCount).toBe(before);
  });

  it('another node’s credentials -> 403, no token -> 401 with WWW-Authenticate, forged -> 401', async () => {
    const before = s.service.callCount;
    const cross = await call(s.url, 'POST', `${A}/allocations`, {
      auth: s.nodeAuth('node-b'),
      json: allocateBody('c'),
    });
    expect([cross.status, (cross.body as api.ApiError).code]).toEqual([403, 'Forbidden']);
    const none = await call(s.url, 'POST', `${A}/allocations`, { json: allocateBody('c') });
    expect([none.status, (none.body as api.ApiError).code]).toEqual([401, 'Unauthenticated']);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const forged = `${s.nodeAuth('node-a').slice(0, -4)}AAAA`;
    const bad = await call(s.url, 'GET', `${A}/feed?from=0`, { auth: forged });
    expect(bad.status).toBe(401);
    expect(s.service.callCount).toBe(before);
  });

  it.each([
    { method: 'POST', path: `${A}/allocations`, json: allocateBody('x-cross') },
    { method: 'DELETE', path: `${A}/allocations/c-happy` },
    { method: 'GET', path: `${A}/state` },
    { method: 'GET', path: `${A}/feed?from=0` },
    { method: 'POST', path: `${A}/acks`, json: { revision: 1 } },
  ])('node-b’s credentials on node-a: $method $path -> 403, the service never called', async ({
    method,
    path,
    json,
  }) => {
    const before = s.service.callCount;
    const r = await call(s.url, method, path, { auth: s.nodeAuth('node-b'), ...(json ? { json } : {}) });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([403, 'Forbidden']);
    expect(s.service.callCount).toBe(before);
  });

  it('405 names the allowed methods', async () => {
    const r = await call(s.url, 'PATCH', `${A}/state`, { auth: s.nodeAuth('node-a') });
    expect(r.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('node routes: domain errors become statuses', () => {
  it.each([
    { code: 'PoolExhausted', status: 503, retry: '2' },
    { code: 'NotLeader', status: 503, retry: '1' },
    { code: 'NodeDraining', status: 409, retry: null },
    { code: 'ClaimInOtherSubnet', status: 409, retry: null },
    { code: 'CorruptLog', status: 500, retry: null },
  ] as const)('$code -> $status', async ({ code, status, retry }) => {
    s.service.failNext('allocate', new IpamError(code, `${code} happened`, { hint: 'h' }));
    const r = await call(s.url, 'POST', `${A}/allocations`, {
      auth: s.nodeAuth('node-a'),
      json: allocateBody(`c-${code.toLowerCase()}`),
    });
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ code, message: `${code} happened`, details: { hint: 'h' } });
    expect(r.headers.get('retry-after')).toBe(retry);
  });

  it('an unexpected error is a 500 that leaks nothing', async () => {
    s.service.failNext('nodeState', new Error('secret internals at /etc/x') as IpamError);
    const r = await call(s.url, 'GET', `${A}/state`, { auth: s.nodeAuth('node-a') });
    expect(r.status).toBe(500);
    expect((r.body as api.ApiError).code).toBe('Internal');
    expect(r.text).not.toContain('secret internals');
  });

  it('counts allocations by mode and outcome', async () => {
    const text = await s.metrics.registry.getSingleMetricAsString('eni_ipam_allocations_total');
    expect(text).toContain('eni_ipam_allocations_total{mode="shared",outcome="ok"}');
    expect(text).toContain('eni_ipam_allocations_total{mode="shared",outcome="PoolExhausted"} 1');
  });
});
