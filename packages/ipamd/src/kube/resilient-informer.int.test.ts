/**
 * ResilientInformer against the fake apiserver with the real client-node 1.4 ListWatch:
 * first list, restart after injected 500s (watch and list), relist after 410, resync, stop.
 */

import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ResilientInformer, type ResilientInformerOptions } from './resilient-informer.js';
import { type FakeApiServer, makeNode, startFakeApiServer, waitFor } from './testing.js';

let api: FakeApiServer | undefined;
const informers: ResilientInformer<V1Node>[] = [];
afterEach(async () => {
  for (const i of informers.splice(0)) await i.stop();
  await api?.close();
  api = undefined;
});

const watches = (a: FakeApiServer) => a.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === 'true');
const lists = (a: FakeApiServer) => a.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === undefined);

const nodeInformer = (a: FakeApiServer, extra: Partial<ResilientInformerOptions<V1Node>> = {}) => {
  const kc = a.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const informer = new ResilientInformer<V1Node>({
    name: 'nodes',
    kubeConfig: kc,
    path: '/api/v1/nodes',
    list: () => core.listNode(),
    backoff: { initialMs: 20, maxMs: 200 },
    resyncIntervalMs: 0,
    ...extra,
  });
  const seen: string[] = [];
  const errors: unknown[] = [];
  for (const verb of ['add', 'update', 'delete'] as const) {
    informer.on(verb, (n) => seen.push(`${verb}:${n.metadata?.name}`));
  }
  informer.on('error', (e) => errors.push(e));
  informers.push(informer);
  return { informer, seen, errors };
};

describe('ResilientInformer', () => {
  it('is ready after the first list and follows add, update and delete', async () => {
    const a = await startFakeApiServer();
    api = a;
    a.create('nodes', makeNode('n1', { zone: 'z1' }));
    const { informer, seen, errors } = nodeInformer(a);
    informer.start();
    await informer.ready;
    expect(informer.list().map((n) => n.metadata?.name)).toEqual(['n1']);

    a.create('nodes', makeNode('n2', { zone: 'z1' }));
    a.patch('nodes', 'n1', { metadata: { labels: { x: 'y' } } });
    a.delete('nodes', 'n2');
    await waitFor(() => seen.includes('delete:n2'), { what: 'delete of n2' });
    expect(seen).toEqual(['add:n1', 'add:n2', 'update:n1', 'delete:n2']);
    expect(errors).toEqual([]);
  });

  it('restarts with backoff after an injected 500 on the watch and keeps following', async () => {
    const a = await startFakeApiServer();
    api = a;
    a.create('nodes', makeNode('a', { zone: 'z1' }));
    const fault = a.injectFault({ resource: 'nodes', watch: true, code: 500, times: 3 });
    const { informer, seen, errors } = nodeInformer(a);
    informer.start();
    await informer.ready;
    expect(fault.hits).toBe(3);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({ statusCode: 500 });
    expect(informer.restartCount).toBe(3);
    // The restarts re-watch from the listed resourceVersion: one list only.
    expect(lists(a)).toHaveLength(1);

    a.create('nodes', makeNode('b', { zone: 'z1' }));
    await waitFor(() => seen.includes('add:b'), { what: 'add of b after the restarts' });
    expect(a.openWatchCount('nodes')).toBe(1);
  });

  it('retries a failing first list until it succeeds, then is ready', async () => {
    const a = await startFakeApiServer();
    api = a;
    a.create('nodes', makeNode('a', { zone: 'z1' }));
    a.injectFault({ resource: 'nodes', watch: false, method: 'GET', code: 503, times: 2 });
    const { informer, errors } = nodeInformer(a);
    informer.start();
    await informer.ready;
    expect(errors).toHaveLength(2);
    expect(lists(a)).toHaveLength(3);
    expect(informer.get('a')?.metadata?.name).toBe('a');
  });

  it('relists after a forced 410 and reports what went away while it was not watching', async () => {
    const a = await startFakeApiServer();
    api = a;
    for (const n of ['a', 'b']) a.create('nodes', makeNode(n, { zone: 'z1' }));
    const { informer, seen } = nodeInformer(a);
    informer.start();
    await informer.ready;

    // The watch keeps failing while a goes and c comes; then the history is compacted away.
    const fault = a.injectFault({ resource: 'nodes', watch: true, code: 500, times: Number.POSITIVE_INFINITY });
    await waitFor(() => a.openWatchCount('nodes') === 1, { what: 'the open watch' });
    a.closeWatches('nodes');
    await waitFor(() => fault.hits >= 1, { what: 'a failed re-watch' });
    a.delete('nodes', 'a');
    a.create('nodes', makeNode('c', { zone: 'z1' }));
    a.compact();
    fault.remove();

    await waitFor(() => seen.includes('delete:a') && seen.includes('add:c'), { what: 'the relist' });
    expect(lists(a)).toHaveLength(2);
    expect(informer.list().map((n) => n.metadata?.name)).toEqual(['b', 'c']);

    // A live watch ended by ERROR 410 relists too, and the informer keeps watching.
    await waitFor(() => a.openWatchCount('nodes') === 1, { what: 'the watch after the relist' });
    a.expireWatches('nodes');
    await waitFor(() => lists(a).length === 3, { what: 'the relist after ERROR 410' });
    a.create('nodes', makeNode('d', { zone: 'z1' }));
    await waitFor(() => seen.includes('add:d'), { what: 'add of d' });
  });

  it('resyncs: re-opens the watch from its resourceVersion and re-delivers the cache', async () => {
    const a = await startFakeApiServer();
    api = a;
    a.create('nodes', makeNode('a', { zone: 'z1' }));
    const { informer, errors } = nodeInformer(api, { resyncIntervalMs: 100 });
    const resynced: string[][] = [];
    informer.on('resync', (objects) => resynced.push(objects.map((n) => n.metadata?.name ?? '')));
    informer.start();
    await informer.ready;
    await waitFor(() => resynced.length >= 2 && watches(a).length >= 3, { what: 'two resyncs' });
    expect(resynced[0]).toEqual(['a']);
    expect(lists(a)).toHaveLength(1);
    expect(
      watches(a)
        .slice(1)
        .every((w) => w.query.resourceVersion === '1'),
    ).toBe(true);
    expect(errors).toEqual([]);
    await waitFor(() => a.openWatchCount('nodes') === 1, { what: 'one open watch' });
  });

  it('stop() ends the watch and reports no error', async () => {
    const a = await startFakeApiServer();
    api = a;
    const { informer, seen, errors } = nodeInformer(a);
    informer.start();
    await informer.ready;
    await informer.stop();
    await waitFor(() => a.openWatchCount('nodes') === 0, { what: 'the watch to close' });
    a.create('nodes', makeNode('late', { zone: 'z1' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a list still running at stop() or at a restart neither feeds the cache nor opens a second watch', async () => {
    const a = await startFakeApiServer();
    api = a;
    a.create('nodes', makeNode('a', { zone: 'z1' }));
    const core = a.kubeConfig().makeApiClient(CoreV1Api);
    const gates: Array<() => void> = [];
    const { informer, seen, errors } = nodeInformer(a, {
      list: async () => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return core.listNode();
      },
    });
    informer.start();
    await waitFor(() => gates.length === 1, { what: 'the first list' });
    informer.resync(); // restart while the first list is pending: a second list starts
    await waitFor(() => gates.length === 2, { what: 'the second list' });
    for (const release of gates) release();
    await informer.ready;
    await waitFor(() => watches(a).length >= 1, { what: 'the watch' });
    await new Promise((r) => setTimeout(r, 100));
    expect(a.openWatchCount('nodes')).toBe(1);
    expect(seen).toEqual(['add:a']);
    expect(errors).toEqual([]);

    // stop() during a pending list: nothing afterwards.
    const other = nodeInformer(a, {
      list: async () => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return core.listNode();
      },
    });
    other.informer.start();
    await waitFor(() => gates.length === 3, { what: 'the third list' });
    await other.informer.stop();
    gates[2]?.();
    await new Promise((r) => setTimeout(r, 100));
    expect(other.seen).toEqual([]);
    expect(other.errors).toEqual([]);
    expect(a.openWatchCount('nodes')).toBe(1);
  });
});
