import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize } from './authenticator.js';
import { HmacAuthenticator, nodeToken } from './hmac-authenticator.js';

const SECRET = 'cluster-secret-0123456789abcdef-0123';
const ADMIN = 'admin-token-0123456789abcdef-0123456';
const auth = new HmacAuthenticator({ clusterSecret: SECRET, adminToken: ADMIN });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('nodeToken', () => {
  it('is the node name and the base64url HMAC-SHA256 of "node:" + name', () => {
    const mac = createHmac('sha256', SECRET).update('node:node-a').digest('base64url');
    expect(nodeToken(SECRET, 'node-a')).toBe(`node-a:${mac}`);
  });
});

describe('HmacAuthenticator', () => {
  it('authenticates a node by its own token', async () => {
    expect(await auth.authenticate(bearer(nodeToken(SECRET, '10.0.0.12')))).toEqual({
      kind: 'node',
      node: '10.0.0.12',
    });
  });

  it('authenticates the admin token', async () => {
    expect(await auth.authenticate(bearer(ADMIN))).toEqual({ kind: 'admin' });
  });

  it.each([
    { name: 'no header', headers: {}, reason: 'missing' },
    { name: 'empty header', headers: { authorization: '' }, reason: 'missing' },
    { name: 'basic auth', headers: { authorization: 'Basic dXNlcjpwYXNz' }, reason: 'malformed' },
    { name: 'bearer without token', headers: { authorization: 'Bearer ' }, reason: 'malformed' },
    { name: 'token from another secret', headers: bearer(nodeToken('x'.repeat(32), 'node-a')), reason: 'invalid' },
    {
      name: 'node name swapped',
      headers: bearer(`node-b:${nodeToken(SECRET, 'node-a').split(':')[1]}`),
      reason: 'invalid',
    },
    { name: 'truncated mac', headers: bearer(nodeToken(SECRET, 'node-a').slice(0, -2)), reason: 'invalid' },
    { name: 'junk after mac', headers: bearer(`${nodeToken(SECRET, 'node-a')}==`), reason: 'invalid' },
    { name: 'no node part', headers: bearer(`:${nodeToken(SECRET, 'node-a').split(':')[1]}`), reason: 'invalid' },
    { name: 'admin token with a suffix', headers: bearer(`${ADMIN}x`), reason: 'invalid' },
  ])('refuses $name', async ({ headers, reason }) => {
    expect(await auth.authenticate(headers)).toEqual({ kind: 'refused', reason });
  });

  it('without an admin token configured, nothing is admin', async () => {
    const noAdmin = new HmacAuthenticator({ clusterSecret: SECRET });
    expect(await noAdmin.authenticate(bearer(ADMIN))).toEqual({ kind: 'refused', reason: 'invalid' });
  });

  it('refuses a short cluster secret at construction', () => {
    expect(() => new HmacAuthenticator({ clusterSecret: 'short' })).toThrow(RangeError);
  });

  it('keeps verdicts through its MAC cache, also once the cache is full and starts over', async () => {
    const small = new HmacAuthenticator({ clusterSecret: SECRET, macCacheSize: 2 });
    const other = new HmacAuthenticator({ clusterSecret: `${SECRET}x`, macCacheSize: 2 });
    for (let round = 0; round < 3; round++) {
      for (const n of ['node-a', 'node-b', 'node-c']) {
        expect(await small.authenticate(bearer(nodeToken(SECRET, n)))).toEqual({ kind: 'node', node: n });
        // another node's MAC, or a token of another secret, stays refused whatever is cached
        expect((await small.authenticate(bearer(`${n}:${nodeToken(SECRET, 'node-z').split(':')[1]}`))).kind).toBe(
          'refused',
        );
        expect((await other.authenticate(bearer(nodeToken(SECRET, n)))).kind).toBe('refused');
      }
    }
  });

  it('accepts no forged token (property: any token other than the issued one is refused)', async () => {
    const issued = nodeToken(SECRET, 'node-a');
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 120 }), async (t) => {
        fc.pre(t !== issued && t !== ADMIN);
        const r = await auth.authenticate(bearer(t));
        // the only way to be a node is to hold that node's MAC
        if (r.kind === 'node') expect(nodeToken(SECRET, r.node)).toBe(t);
        else expect(r.kind).toBe('refused');
      }),
      { numRuns: 500 },
    );
  });
});

describe('authorize', () => {
  it.each([
    { who: { kind: 'node', node: 'a' }, need: { node: 'a' }, status: undefined },
    { who: { kind: 'node', node: 'a' }, need: { node: 'b' }, status: 403 },
    { who: { kind: 'node', node: 'a' }, need: 'admin', status: 403 },
    { who: { kind: 'admin' }, need: { node: 'b' }, status: undefined },
    { who: { kind: 'admin' }, need: 'admin', status: undefined },
    { who: { kind: 'refused', reason: 'invalid' }, need: { node: 'a' }, status: 401 },
    { who: { kind: 'refused', reason: 'missing' }, need: 'admin', status: 401 },
  ] as const)('$who.kind for $need -> $status', ({ who, need, status }) => {
    const v = authorize(who, need);
    expect(v.ok ? undefined : v.status).toBe(status);
  });
});
