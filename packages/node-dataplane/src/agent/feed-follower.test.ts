import { afterEach, describe, expect, it } from 'vitest';
import { HttpIpamdClient } from '../ipamd/http-ipamd-client.js';
import { FakeIpamd } from '../testing/fake-ipamd.js';
import { type ApplyCause, FeedFollower } from './feed-follower.js';
import type { NodeView } from './node-view.js';

const eni = {
  id: 'eni-1',
  mac: '52:54:00:00:00:01',
  primaryIp: '10.0.1.5',
  subnetCidr: '10.0.1.0/24',
  gateway: '10.0.1.1',
  mode: 'shared' as const,
};

let stopAll: (() => Promise<void>) | undefined;
afterEach(async () => stopAll?.());

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('feed follower', () => {
  it('loads the snapshot, follows the feed, reloads after 410 and acknowledges what it applied', async () => {
    const ipamd = new FakeIpamd();
    await ipamd.start();
    ipamd.addNode('n1', 't');
    ipamd.attachEni('n1', eni, ['10.0.1.10', '10.0.1.11']);
    const client = new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 't' });
    const applied: { view: NodeView; cause: ApplyCause }[] = [];
    const follower = new FeedFollower({
      ipamd: client,
      apply: async (view, cause) => void applied.push({ view, cause }),
      retryMs: 300,
    });
    const abort = new AbortController();
    const loop = follower.run(abort.signal);
    stopAll = async () => {
      abort.abort();
      await loop;
      await ipamd.stop();
    };

    await until(() => applied.length === 1);
    expect(applied[0]?.cause).toEqual({ reload: true });
    expect(applied[0]?.view.enis.has('eni-1')).toBe(true);

    await client.allocate({ pod: { namespace: 'd', name: 'p' }, containerId: 'c1', mode: 'shared' });
    await until(() => applied.length === 2);
    expect(applied[1]?.cause).toMatchObject({ reload: false, event: { type: 'IpAllocated' } });
    expect(follower.view?.allocations.get('c1')?.ip).toBe('10.0.1.10');

    // While the agent is disconnected, a release happens and history is compacted past it:
    // resuming gets 410, so the follower reloads the snapshot.
    ipamd.dropStreams('n1');
    await client.release('c1');
    ipamd.compact('n1');
    await until(() => applied.some((a, i) => i >= 2 && a.cause.reload));
    expect(follower.view?.allocations.size).toBe(0);
    await until(() => ipamd.acks('n1').includes(ipamd.revision));
  });

  it('bad credentials: errors are reported, the follower keeps retrying and applies nothing', async () => {
    const ipamd = new FakeIpamd();
    await ipamd.start();
    ipamd.addNode('n1', 't');
    const errors: unknown[] = [];
    const client = new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 'wrong' });
    const follower = new FeedFollower({
      ipamd: client,
      apply: async () => {},
      onError: (e) => errors.push(e),
      retryMs: 10,
    });
    const abort = new AbortController();
    const loop = follower.run(abort.signal);
    stopAll = async () => {
      abort.abort();
      await loop;
      await ipamd.stop();
    };
    await until(() => errors.length >= 2);
    expect(errors[0]).toMatchObject({ code: 'IpamdRejected', details: { status: 401 } });
    expect(follower.view).toBeUndefined();
  });
});
