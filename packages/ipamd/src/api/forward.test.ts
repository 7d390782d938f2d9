import { api, IpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestServer } from '../testing/index.js';
import type { WriteRoute } from './service.js';

let leader: TestServer;
let follower: TestServer;
let route: WriteRoute = { kind: 'local' };
beforeAll(async () => {
  leader = await startTestServer({ replicaId: 'leader' });
  follower = await startTestServer({ replicaId: 'follower', router: { routeWrite: () => route } });
});
afterAll(async () => {
  await Promise.all([leader.close(), follower.close()]);
});
const body = { pod: { namespace: 'ns', name: 'p' }, containerId: 'c-fwd', mode: 'exclusive' };

describe('writes on a follower', () => {
  it('are forwarded to the leader with the caller’s credentials and request id', async () => {
    route = { kind: 'forward', leaderUrl: leader.url };
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/allocations', {
      auth: follower.nodeAuth('node-a'),
      json: body,
      headers: { 'x-request-id': 'fwd-1' },
    });
    expect(r.status).toBe(200);
    api.AllocationSchema.parse(r.body);
    expect(follower.service.callCount).toBe(0);
    expect(leader.service.calls.at(-1)).toMatchObject({
      method: 'allocate',
      node: 'node-a',
      ctx: { requestId: 'fwd-1', principal: { kind: 'node', node: 'node-a' } },
    });
    const del = await call(follower.url, 'DELETE', '/v1/nodes/node-a/allocations/c-fwd', {
      auth: follower.nodeAuth('node-a'),
    });
    expect(del.status).toBe(204);
    const ack = await call(follower.url, 'POST', '/v1/nodes/node-a/acks', {
      auth: follower.nodeAuth('node-a'),
      json: { revision: 3 },
    });
    expect(ack.status).toBe(204);
    expect(leader.service.acks.get('node-a')).toBe(3);
  });

  it('relay the leader’s refusal unchanged', async () => {
    route = { kind: 'forward', leaderUrl: leader.url };
    leader.service.failNext('allocate', new IpamError('PoolExhausted', 'no IP yet'));
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/allocations', {
      auth: follower.nodeAuth('node-a'),
      json: body,
    });
    expect([r.status, r.body, r.headers.get('retry-after')]).toEqual([
      503,
      { code: 'PoolExhausted', message: 'no IP yet' },
      '2',
    ]);
  });

  it('are validated on the follower first: nothing is forwarded', async () => {
    route = { kind: 'forward', leaderUrl: leader.url };
    const before = leader.service.callCount;
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/allocations', {
      auth: follower.nodeAuth('node-b'),
      json: body,
    });
    expect(r.status).toBe(403);
    const bad = await call(follower.url, 'POST', '/v1/nodes/node-a/allocations', {
      auth: follower.nodeAuth('node-a'),
      raw: '{',
    });
    expect(bad.status).toBe(400);
    expect(leader.service.callCount).toBe(before);
  });

  it('answer 503 NotLeader with Retry-After when no leader is known', async () => {
    route = { kind: 'unavailable', reason: 'election in progress' };
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/acks', {
      auth: follower.nodeAuth('node-a'),
      json: { revision: 1 },
    });
    expect([r.status, (r.body as api.ApiError).code, r.headers.get('retry-after')]).toEqual([503, 'NotLeader', '1']);
  });

  it('answer 503 NotLeader naming the leader when it does not answer', async () => {
    const gone = await startTestServer();
    await gone.close(); // a loopback port nobody listens on any more
    route = { kind: 'forward', leaderUrl: gone.url };
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/acks', {
      auth: follower.nodeAuth('node-a'),
      json: { revision: 1 },
    });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'NotLeader', details: { leader: gone.url } });
  });

  it('are never forwarded twice (a forwarded write on a non-leader is refused)', async () => {
    route = { kind: 'forward', leaderUrl: leader.url };
    const before = leader.service.callCount;
    const r = await call(follower.url, 'POST', '/v1/nodes/node-a/acks', {
      auth: follower.nodeAuth('node-a'),
      json: { revision: 1 },
      headers: { 'x-eni-ipam-forwarded-by': 'other' },
    });
    expect([r.status, (r.body as api.ApiError).code]).toEqual([503, 'NotLeader']);
    expect(leader.service.callCount).toBe(before);
  });

  it('reads are served locally', async () => {
    route = { kind: 'unavailable', reason: 'no leader' };
    const r = await call(follower.url, 'GET', '/v1/nodes/node-a/state', { auth: follower.nodeAuth('node-a') });
    expect(r.status).toBe(200);
    expect(follower.service.calls.at(-1)?.method).toBe('nodeState');
  });
});
