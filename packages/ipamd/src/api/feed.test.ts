import { api } from '@eni-ipam/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../testing/index.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const start = async (o: Parameters<typeof startTestServer>[0] = {}) => {
  const s = await startTestServer(o);
  servers.push(s);
  return s;
};

/** Reads raw ndjson lines (empty ones included) from a response body. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

const eni = (id: string): api.Eni => ({
  id,
  mac: '20:90:6f:00:00:02',
  primaryIp: '10.0.1.2',
  subnetCidr: '10.0.1.0/24',
  gateway: '10.0.1.1',
  mode: 'shared',
});

describe('GET /v1/nodes/{node}/feed', () => {
  it('streams the node’s events after `from` as ndjson, live, in order', async () => {
    const s = await start();
    s.service.push('node-a', (revision) => ({ revision, type: 'EniAttached', eni: eni('eni-aaaa0001') })); // 1
    s.service.push('node-b', (revision) => ({ revision, type: 'EniDetached', eniId: 'eni-bbbb0001' })); // 2, other node
    s.service.push('node-a', (revision) => ({ revision, type: 'EniDetached', eniId: 'eni-aaaa0000' })); // 3
    const ac = new AbortController();
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=1`, {
      headers: { authorization: s.nodeAuth('node-a') },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const got: api.FeedEvent[] = [];
    const reader = lines(res.body as ReadableStream<Uint8Array>);
    const next = async () => api.FeedEventSchema.parse(JSON.parse((await reader.next()).value as string));
    got.push(await next());
    // live: pushed after the stream opened
    s.service.push('node-a', (revision) => ({ revision, type: 'IpReleased', containerId: 'c-1' })); // 4
    got.push(await next());
    expect(got).toEqual([
      { revision: 3, type: 'EniDetached', eniId: 'eni-aaaa0000' },
      { revision: 4, type: 'IpReleased', containerId: 'c-1' },
    ]);
    ac.abort();
    await vi.waitFor(() => expect(s.service.openFeeds).toBe(0), { timeout: 10_000 });
  });

  it('answers 410 RevisionCompacted with a hint to reload the state, before any line', async () => {
    const s = await start();
    s.service.compactedBefore = 10;
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=3`, {
      headers: { authorization: s.nodeAuth('node-a') },
    });
    expect(res.status).toBe(410);
    const body = api.ApiErrorSchema.parse(await res.json());
    expect(body).toMatchObject({ code: 'RevisionCompacted', details: { hint: 'reload GET /v1/nodes/node-a/state' } });
  });

  it.each(['', '-1', '1.5', 'abc', '99999999999999999', '0x10'])('refuses from=%j with 400', async (from) => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=${from}`, {
      headers: { authorization: s.nodeAuth('node-a') },
    });
    expect(res.status).toBe(400);
    expect(s.service.callCount).toBe(0);
  });

  it('sends empty heartbeat lines on an idle stream', async () => {
    const s = await start({ feedHeartbeatMs: 20 });
    const ac = new AbortController();
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=0`, {
      headers: { authorization: s.nodeAuth('node-a') },
      signal: ac.signal,
    });
    const first = await lines(res.body as ReadableStream<Uint8Array>).next();
    expect(first.value).toBe('');
    ac.abort();
  });

  it('ends open feeds when the server closes', async () => {
    const s = await startTestServer();
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=0`, {
      headers: { authorization: s.nodeAuth('node-a') },
    });
    const reader = lines(res.body as ReadableStream<Uint8Array>);
    await vi.waitFor(() => expect(s.service.openFeeds).toBe(1), { timeout: 10_000 });
    await s.close();
    const rest: string[] = [];
    for await (const l of reader) rest.push(l);
    expect(rest.filter((l) => l !== '')).toEqual([]);
    expect(s.service.openFeeds).toBe(0);
  });

  it('another node may not follow this node’s feed', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/nodes/node-a/feed?from=0`, {
      headers: { authorization: s.nodeAuth('node-b') },
    });
    expect(res.status).toBe(403);
    expect(s.service.callCount).toBe(0);
  });
});
