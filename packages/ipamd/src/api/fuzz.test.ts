import { api } from '@eni-ipam/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/index.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ nodes: ['node-a', 'node-b'] });
});
afterAll(async () => {
  await s.close();
});

interface Req {
  method: string;
  path: string;
  auth: string | undefined;
  contentType: string | undefined;
  body: string | undefined;
}

/**
 * Sends one request in process (`inject`, no socket: 10,000 cases stay quick); a feed, which
 * streams until the client leaves, goes over the socket and is closed once it opens. Status,
 * text, calls made.
 */
const send = async (r: Req) => {
  const before = s.service.callCount;
  const headers: Record<string, string> = {};
  if (r.auth !== undefined) headers.authorization = r.auth;
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  if (r.path.includes('/feed')) {
    const ac = new AbortController();
    const res = await fetch(s.url + r.path, {
      method: r.method,
      headers,
      ...(withBody ? { body: r.body } : {}),
      signal: ac.signal,
    });
    let text = '';
    if (res.headers.get('content-type') === 'application/x-ndjson') ac.abort();
    else text = await res.text();
    return { status: res.status, text, calls: s.service.callCount - before };
  }
  const res = await s.app.inject({
    method: r.method as 'GET',
    url: r.path,
    headers,
    ...(withBody ? { payload: r.body } : {}),
  });
  return { status: res.statusCode, text: res.body, calls: s.service.callCount - before };
};

const segment = fc.oneof(
  fc.constantFrom('node-a', 'node-b', 'node-zz', 'Node_A', '..', '%2e%2e', 'a'.repeat(300)),
  fc.stringMatching(/^[A-Za-z0-9._%-]{1,20}$/),
);
const path = fc.oneof(
  fc
    .tuple(segment, fc.constantFrom('allocations', 'state', 'acks', 'feed?from=0', 'feed?from=-1', 'feed', ''))
    .map(([n, tail]) => `/v1/nodes/${n}/${tail}`),
  fc.tuple(segment, segment).map(([n, c]) => `/v1/nodes/${n}/allocations/${c}`),
  fc.constantFrom('/v1/nodes', '/v1/enis', '/v1/claims', '/healthz', '/readyz', '/', '/v1', '/v1/nodes/node-a'),
);
const goodBody = fc.record({
  pod: fc.record({ namespace: fc.constantFrom('default', 'kube-system'), name: fc.constantFrom('p', 'web-0') }),
  containerId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
  mode: fc.constantFrom('shared', 'exclusive'),
});
/** Bodies near the valid one: each field kept, dropped, or replaced by any JSON value; extra keys. */
const nearBody = fc
  .tuple(
    goodBody,
    fc.dictionary(fc.constantFrom('pod', 'containerId', 'mode', 'extra', '__proto__', 'constructor'), fc.jsonValue(), {
      maxKeys: 2,
    }),
    fc.subarray(['pod', 'containerId', 'mode']),
  )
  .map(([good, patch, drop]) => {
    const o: Record<string, unknown> = { ...good, ...patch };
    for (const k of drop) delete o[k];
    return JSON.stringify(o);
  });
const body = fc.oneof(
  goodBody.map((b) => JSON.stringify(b)),
  nearBody,
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.record({ revision: fc.oneof(fc.integer(), fc.double(), fc.string()) }).map((b) => JSON.stringify(b)),
  fc.constant(`{"pad":"${'x'.repeat(70 * 1024)}"}`),
);
const auth = fc.oneof(
  fc.constantFrom('own', 'other', 'admin', 'none'),
  fc.string({ maxLength: 80 }).map((t) => `Bearer ${t}`),
);

const request = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
    path,
    auth,
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
    body: fc.option(body, { nil: undefined }),
  })
  .map(
    (r): Req => ({
      ...r,
      auth:
        r.auth === 'own'
          ? s.nodeAuth('node-a')
          : r.auth === 'other'
            ? s.nodeAuth('node-b')
            : r.auth === 'admin'
              ? s.adminAuth
              : r.auth === 'none'
                ? undefined
                : r.auth.replace(/[^\x20-\x7e]/g, ''),
    }),
  );

describe('fuzzed requests', () => {
  it('never crash or answer 5xx; a rejected request reaches nothing; errors have the error body', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await send(r);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.calls).toBe(0);
          if (r.method !== 'HEAD') api.ApiErrorSchema.parse(JSON.parse(res.text));
        }
      }),
      { numRuns: 10_000 },
    );
  }, 240_000);

  it('allocation bodies: 200 only for a valid body from the node itself, otherwise 4xx and no call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          goodBody.map((b) => JSON.stringify(b)),
          nearBody,
        ),
        async (b) => {
          const res = await send({
            method: 'POST',
            path: '/v1/nodes/node-a/allocations',
            auth: s.nodeAuth('node-a'),
            contentType: 'application/json',
            body: b,
          });
          const valid = api.AllocateRequestSchema.safeParse(JSON.parse(b)).success;
          expect(res.status).toBe(valid ? 200 : 400);
          expect(res.calls).toBe(valid ? 1 : 0);
        },
      ),
      { numRuns: 10_000 },
    );
  }, 240_000);
});
