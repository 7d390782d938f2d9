/**
 * The fake apiserver driven by the real @kubernetes/client-node informers and raw watches:
 * list-then-watch, resume after 410, bookmarks, server-side watch timeouts, filtered watches.
 */
import {
  CoreV1Api,
  type Informer,
  ListWatch,
  makeInformer,
  type V1Node,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeApiServer, makeNode, makePod, startFakeApiServer, waitFor } from './support/index.js';

type Seen = string[];

/** Starts an informer that records `verb:name@rv` and ignores the error its own stop() emits. */
const record = async <T extends V1Node | V1Pod>(informer: Informer<T> & ListWatch<T>) => {
  const seen: Seen = [];
  const errors: unknown[] = [];
  let stopped = false;
  for (const verb of ['add', 'update', 'delete'] as const) {
    informer.on(verb, (o) => seen.push(`${verb}:${o.metadata?.name}@${o.metadata?.resourceVersion}`));
  }
  informer.on('error', (err) => {
    if (!stopped) errors.push(err);
  });
  await informer.start();
  return {
    seen,
    errors,
    names: (verb: string) =>
      seen.filter((s) => s.startsWith(`${verb}:`)).map((s) => s.slice(verb.length + 1).split('@')[0]),
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
};

let api: FakeApiServer;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await api?.close();
});

const watchRequests = (resource: string) =>
  api.requests.filter((r) => r.path.endsWith(`/${resource}`) && r.query.watch === 'true');
const listRequests = (resource: string) =>
  api.requests.filter((r) => r.path.endsWith(`/${resource}`) && r.query.watch === undefined);

describe('informers from @kubernetes/client-node against the fake apiserver', () => {
  it('a node informer sees add, update and delete, and its cache follows', async () => {
    api = await startFakeApiServer();
    api.create('nodes', makeNode('n1', { zone: 'ap-guangzhou-3' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode()) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);

    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the watch' });
    api.create('nodes', makeNode('n2', { zone: 'ap-guangzhou-3' }));
    api.patch('nodes', 'n1', { metadata: { labels: { role: 'edge' } } });
    api.delete('nodes', 'n2');

    await waitFor(() => rec.names('delete').includes('n2'), { what: 'delete of n2' });
    expect(rec.seen).toEqual(['add:n1@1', 'add:n2@2', 'update:n1@3', 'delete:n2@4']);
    expect(informer.get('n1')?.metadata?.labels?.role).toBe('edge');
    expect(informer.list().map((n) => n.metadata?.name)).toEqual(['n1']);
    expect(rec.errors).toEqual([]);
  });

  it('an informer resuming from a compacted resourceVersion gets 410, relists, and continues', async () => {
    api = await startFakeApiServer();
    api.create('nodes', makeNode('a', { zone: 'z1' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode()) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the first watch' });

    // While the informer is away: b appears, a goes, and the history it would resume from is gone.
    await rec.stop();
    await waitFor(() => api.openWatchCount('nodes') === 0, { what: 'the watch to end' });
    api.create('nodes', makeNode('b', { zone: 'z1' }));
    api.delete('nodes', 'a');
    api.compact();
    const listsBefore = listRequests('nodes').length;
    await informer.start();

    await waitFor(() => rec.names('delete').includes('a') && rec.names('add').includes('b'), { what: 'the relist' });
    expect(listRequests('nodes').length).toBe(listsBefore + 1);
    expect(informer.list().map((n) => n.metadata?.name)).toEqual(['b']);

    // And it keeps watching from the relisted resourceVersion.
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the new watch' });
    api.patch('nodes', 'b', { metadata: { labels: { after: 'relist' } } });
    await waitFor(() => informer.get('b')?.metadata?.labels?.after === 'relist', { what: 'the update after relist' });
  });

  it('a live watch ended with ERROR 410 makes the informer relist', async () => {
    api = await startFakeApiServer();
    api.create('nodes', makeNode('a', { zone: 'z1' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode()) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the watch' });

    api.expireWatches('nodes');
    await waitFor(() => listRequests('nodes').length === 2, { what: 'the relist' });
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the new watch' });
    api.create('nodes', makeNode('c', { zone: 'z1' }));
    await waitFor(() => rec.names('add').includes('c'), { what: 'add of c' });
    expect(rec.errors).toEqual([]);
  });

  it('a server-side watch timeout ends the stream and the informer re-watches from its last resourceVersion', async () => {
    api = await startFakeApiServer({ defaultWatchTimeoutSeconds: 1 });
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode()) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the first watch' });
    api.create('nodes', makeNode('x', { zone: 'z1' }));

    // After the server ends the watch, the informer resumes from the resourceVersion it saw last.
    await waitFor(() => watchRequests('nodes').some((r, i) => i > 0 && r.query.resourceVersion === '1'), {
      what: 'a re-watch from resourceVersion 1',
    });
    expect(listRequests('nodes')).toHaveLength(1);
    api.create('nodes', makeNode('y', { zone: 'z1' }));
    await waitFor(() => rec.names('add').includes('y'), { what: 'add of y on the new watch' });
    expect(rec.errors).toEqual([]);
  });

  it('a pod informer with a spec.nodeName field selector sees only the pods of its node', async () => {
    api = await startFakeApiServer();
    api.create('pods', makePod('default', 'p-mine', { node: 'n1' }));
    api.create('pods', makePod('default', 'p-other', { node: 'n2' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const fieldSelector = 'spec.nodeName=n1';
    const informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(kc),
      () => core.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('pods') === 1, { what: 'the watch' });

    api.create('pods', makePod('kube-system', 'p-new', { node: 'n1' }));
    api.create('pods', makePod('default', 'p-elsewhere', { node: 'n2' }));
    api.delete('pods', 'p-mine', 'default');
    await waitFor(() => rec.names('delete').includes('p-mine'), { what: 'delete of p-mine' });
    expect(rec.names('add')).toEqual(['p-mine', 'p-new']);
    expect(watchRequests('pods')[0]?.query.fieldSelector).toBe(fieldSelector);
  });

  it('a label-selected node informer sees a node leave the selection as delete and come back as add', async () => {
    api = await startFakeApiServer();
    api.create('nodes', makeNode('in', { zone: 'z1', labels: { pool: 'eni' } }));
    api.create('nodes', makeNode('out', { zone: 'z1' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const labelSelector = 'pool=eni';
    const informer = makeInformer(
      kc,
      '/api/v1/nodes',
      () => core.listNode({ labelSelector }),
      labelSelector,
    ) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the watch' });

    api.patch('nodes', 'in', { metadata: { labels: { pool: null } } }); // rv 3: leaves
    api.patch('nodes', 'out', { metadata: { labels: { pool: 'eni' } } }); // rv 4: joins
    await waitFor(() => rec.seen.length === 3, { what: 'three events' });
    expect(rec.seen).toEqual(['add:in@1', 'delete:in@3', 'add:out@4']);
    expect(informer.list().map((x) => x.metadata?.name)).toEqual(['out']);
  });

  it('a failed watch request makes the informer emit error and stop; start() again recovers (client-node behaviour)', async () => {
    api = await startFakeApiServer();
    api.create('nodes', makeNode('a', { zone: 'z1' }));
    const fault = api.injectFault({ resource: 'nodes', watch: true, code: 500 });
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode()) as Informer<V1Node> & ListWatch<V1Node>;
    const rec = await record(informer);
    stops.push(rec.stop);

    await waitFor(() => rec.errors.length === 1, { what: 'the error' });
    expect(rec.errors[0]).toMatchObject({ statusCode: 500 });
    expect(fault.hits).toBe(1);
    expect(api.openWatchCount('nodes')).toBe(0);
    await informer.start();
    await waitFor(() => api.openWatchCount('nodes') === 1, { what: 'the watch after restart' });
    api.create('nodes', makeNode('b', { zone: 'z1' }));
    await waitFor(() => rec.names('add').includes('b'), { what: 'add of b' });
  });

  it('with graceful pod deletion a pod informer sees the pod terminating, then gone after the kubelet-style delete', async () => {
    api = await startFakeApiServer({ gracefulPodDeletion: true });
    api.create('pods', makePod('default', 'p', { node: 'n1' }));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()) as Informer<V1Pod> &
      ListWatch<V1Pod>;
    const rec = await record(informer);
    stops.push(rec.stop);
    await waitFor(() => api.openWatchCount('pods') === 1, { what: 'the watch' });

    const terminating = await core.deleteNamespacedPod({ namespace: 'default', name: 'p' });
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    await waitFor(() => informer.get('p', 'default')?.metadata?.deletionTimestamp, { what: 'the terminating pod' });
    await core.deleteNamespacedPod({ namespace: 'default', name: 'p', gracePeriodSeconds: 0 });
    await waitFor(() => rec.names('delete').includes('p'), { what: 'delete of p' });
    expect(rec.seen).toEqual(['add:p@1', 'update:p@2', 'delete:p@3']);
  });

  it('a ConfigMap informer narrowed by metadata.name follows only the ipamd ConfigMap', async () => {
    api = await startFakeApiServer();
    const cm = (name: string, subnets: string) => ({
      metadata: { name, namespace: 'kube-system' },
      data: { TKE_ENI_IPAMD_SUBNET_ID: subnets, TKE_ENI_IPAMD_VPC_ID: 'vpc-1' },
    });
    api.create('configmaps', cm('tke-eni-ipamd', 'subnet-a'));
    api.create('configmaps', cm('other', 'subnet-x'));
    const kc = api.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const fieldSelector = 'metadata.name=tke-eni-ipamd';
    const informer = new ListWatch(
      '/api/v1/namespaces/kube-system/configmaps',
      new Watch(kc),
      () => core.listNamespacedConfigMap({ namespace: 'kube-system', fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    const seen: string[] = [];
    informer.on('change', (o) => seen.push(`${o.metadata?.name}:${o.data?.TKE_ENI_IPAMD_SUBNET_ID}`));
    await informer.start();
    stops.push(async () => {
      informer.on('error', () => {});
      await informer.stop();
    });
    await waitFor(() => api.openWatchCount('configmaps') === 1, { what: 'the watch' });
    api.patch('configmaps', 'other', { data: { TKE_ENI_IPAMD_SUBNET_ID: 'subnet-y' } }, { namespace: 'kube-system' });
    api.patch(
      'configmaps',
      'tke-eni-ipamd',
      { data: { TKE_ENI_IPAMD_SUBNET_ID: 'subnet-a:subnet-b' } },
      { namespace: 'kube-system' },
    );
    await waitFor(() => seen.length === 2, { what: 'the update' });
    expect(seen).toEqual(['tke-eni-ipamd:subnet-a', 'tke-eni-ipamd:subnet-a:subnet-b']);
  });

  it('a raw watch with allowWatchBookmarks gets BOOKMARK events carrying the latest resourceVersion', async () => {
    api = await startFakeApiServer({ bookmarkIntervalMs: 50 });
    api.create('configmaps', { metadata: { name: 'c1', namespace: 'kube-system' }, data: { k: 'v' } });
    const events: Array<{ type: string; rv: string | undefined }> = [];
    const watch = new Watch(api.kubeConfig());
    const controller = await watch.watch(
      '/api/v1/namespaces/kube-system/configmaps',
      { allowWatchBookmarks: true, resourceVersion: '1' },
      (type, obj) => events.push({ type, rv: obj?.metadata?.resourceVersion }),
      () => {},
    );
    try {
      api.create('configmaps', { metadata: { name: 'c2', namespace: 'kube-system' } });
      // A bookmark may come before c2 on a slow machine; the one after c2 carries its resourceVersion.
      const afterAdd = () => events.slice(events.findIndex((e) => e.type === 'ADDED') + 1);
      await waitFor(() => events.some((e) => e.type === 'ADDED') && afterAdd().some((e) => e.type === 'BOOKMARK'), {
        what: 'a bookmark after the ADDED event',
      });
      expect(events.filter((e) => e.type !== 'BOOKMARK')).toEqual([{ type: 'ADDED', rv: '2' }]);
      expect(afterAdd().find((e) => e.type === 'BOOKMARK')?.rv).toBe('2');
    } finally {
      controller.abort();
    }
  });

  it('a raw watch with timeoutSeconds is ended by the server and its done callback gets no error', async () => {
    api = await startFakeApiServer();
    const done = new Promise<unknown>((resolve) => {
      void new Watch(api.kubeConfig()).watch('/api/v1/nodes', { timeoutSeconds: 1 }, () => {}, resolve);
    });
    expect(await done).toBeNull();
    expect(api.openWatchCount()).toBe(0);
  });

  it('a watch from a resourceVersion older than the history gets ERROR 410 Expired, then the stream ends', async () => {
    api = await startFakeApiServer({ historyLimit: 1 });
    for (const name of ['a', 'b', 'c']) api.create('nodes', makeNode(name, { zone: 'z1' }));
    const events: Array<{ type: string; obj: unknown }> = [];
    const done = new Promise<unknown>((resolve) => {
      void new Watch(api.kubeConfig()).watch(
        '/api/v1/nodes',
        { resourceVersion: '1' },
        (type, obj) => events.push({ type, obj }),
        resolve,
      );
    });
    expect(await done).toBeNull();
    expect(events).toEqual([{ type: 'ERROR', obj: expect.objectContaining({ code: 410, reason: 'Expired' }) }]);
  });
});
