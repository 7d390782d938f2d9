import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeApiServer, startFakeApiServer } from '../kube/testing.js';
import { authorize } from './authenticator.js';
import { kubeTokenReviewer, NODE_NAME_EXTRA, TokenReviewAuthenticator } from './tokenreview-authenticator.js';

const AGENT = 'system:serviceaccount:kube-system:tke-eni-agent';
const ADMIN = 'a'.repeat(40);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('TokenReviewAuthenticator against the fake apiserver', () => {
  let api: FakeApiServer;
  let now = 0;
  let auth: TokenReviewAuthenticator;
  const reviews = () => api.requests.filter((r) => r.path.endsWith('/tokenreviews')).length;

  beforeAll(async () => {
    api = await startFakeApiServer({ token: 'ipamd-own-token' });
    api.addServiceAccountToken('agent-on-node-a', {
      username: AGENT,
      extra: { [NODE_NAME_EXTRA]: ['node-a'] },
    });
    api.addServiceAccountToken('agent-without-node', { username: AGENT });
    api.addServiceAccountToken('other-sa-on-node-a', {
      username: 'system:serviceaccount:default:web',
      extra: { [NODE_NAME_EXTRA]: ['node-a'] },
    });
    auth = new TokenReviewAuthenticator({
      review: kubeTokenReviewer(api.kubeConfig()),
      agentServiceAccount: 'kube-system/tke-eni-agent',
      adminToken: ADMIN,
      cacheTtlMs: 1000,
      now: () => now,
    });
  });
  afterAll(() => api?.close());

  it("an agent's token is its pod's node, and only that node's", async () => {
    const who = await auth.authenticate(bearer('agent-on-node-a'));
    expect(who).toEqual({ kind: 'node', node: 'node-a' });
    expect(authorize(who, { node: 'node-a' })).toEqual({ ok: true });
    expect(authorize(who, { node: 'node-b' })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses unknown tokens, other ServiceAccounts and tokens not bound to a node', async () => {
    for (const t of ['nope', 'agent-without-node', 'other-sa-on-node-a']) {
      expect(await auth.authenticate(bearer(t))).toEqual({ kind: 'refused', reason: 'invalid' });
    }
    expect(await auth.authenticate({})).toEqual({ kind: 'refused', reason: 'missing' });
    expect(await auth.authenticate({ authorization: 'Basic x' })).toEqual({ kind: 'refused', reason: 'malformed' });
  });

  it('accepts the admin token without asking the apiserver, and caches verdicts for the TTL', async () => {
    const before = reviews();
    expect(await auth.authenticate(bearer(ADMIN))).toEqual({ kind: 'admin' });
    expect(reviews()).toBe(before);
    await auth.authenticate(bearer('agent-on-node-a'));
    expect(reviews()).toBe(before); // cached from the first test
    now += 1500;
    await auth.authenticate(bearer('agent-on-node-a'));
    expect(reviews()).toBe(before + 1);
  });

  it('refuses (and caches nothing) when the apiserver cannot review', async () => {
    const down = new TokenReviewAuthenticator({
      review: kubeTokenReviewer(api.kubeConfig()),
      agentServiceAccount: 'kube-system/tke-eni-agent',
    });
    api.injectFault({ code: 500, method: 'POST' });
    expect(await down.authenticate(bearer('agent-on-node-a'))).toEqual({ kind: 'refused', reason: 'invalid' });
    api.clearFaults();
    expect(await down.authenticate(bearer('agent-on-node-a'))).toEqual({ kind: 'node', node: 'node-a' });
  });
});
