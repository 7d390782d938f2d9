import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeIpamd } from '../testing/fake-ipamd.js';
import { HttpIpamdClient, toIpamError } from './http-ipamd-client.js';

describe('toIpamError: the one mapping from HTTP outcomes', () => {
  it.each([
    { status: 503, body: { code: 'PoolExhausted', message: 'refilling' }, code: 'PoolExhausted' },
    { status: 503, body: { code: 'Unavailable', message: 'x' }, code: 'IpamdUnavailable' },
    { status: 500, body: undefined, code: 'IpamdUnavailable' },
    { status: 409, body: { code: 'NotLeader', message: 'x' }, code: 'IpamdUnavailable' },
    { status: 410, body: { code: 'RevisionCompacted', message: 'x' }, code: 'RevisionCompacted' },
    { status: 400, body: { code: 'InvalidInput', message: 'x' }, code: 'IpamdRejected' },
    { status: 401, body: 'not json', code: 'IpamdRejected' },
    { status: undefined, body: undefined, code: 'IpamdUnavailable' },
  ])('$status $body.code -> $code', ({ status, body, code }) => {
    expect(toIpamError(status, body, new Error('ECONNREFUSED')).code).toBe(code);
  });
});

describe('HttpIpamdClient against the fake ipamd', () => {
  const ipamd = new FakeIpamd();
  const eni = {
    id: 'e1',
    mac: '52:54:00:00:00:01',
    primaryIp: '10.0.0.5',
    subnetCidr: '10.0.0.0/24',
    gateway: '10.0.0.1',
  };
  beforeAll(async () => {
    await ipamd.start();
    ipamd.addNode('n1', 't1');
    ipamd.addNode('n2', 't2');
    ipamd.attachEni('n1', { ...eni, mode: 'shared' }, ['10.0.0.10']);
  });
  afterAll(() => ipamd.stop());
  const pod = { namespace: 'd', name: 'p' };

  it('allocate is idempotent per containerId; release twice is fine', async () => {
    const c = new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 't1' });
    const a = await c.allocate({ pod, containerId: 'c1', mode: 'shared' });
    expect(await c.allocate({ pod, containerId: 'c1', mode: 'shared' })).toEqual(a);
    await expect(c.allocate({ pod, containerId: 'c2', mode: 'shared' })).rejects.toMatchObject({
      code: 'PoolExhausted',
    });
    await c.release('c1');
    await c.release('c1');
    expect((await c.state()).allocations).toEqual([]);
  });

  it("another node's token is refused with 403 and changes nothing", async () => {
    const c = new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 't2' });
    await expect(c.allocate({ pod, containerId: 'c9', mode: 'shared' })).rejects.toMatchObject({
      code: 'IpamdRejected',
      details: { status: 403 },
    });
    expect(ipamd.nodes.get('n1')?.allocations.size).toBe(0);
  });
});
