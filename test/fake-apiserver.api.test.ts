/**
 * The fake apiserver driven by the real @kubernetes/client-node typed APIs: CRUD, optimistic
 * concurrency, patches on the main resource and on /status, selectors, Events, auth, faults.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ENI_IP_RESOURCE,
  type FakeApiServer,
  makeNode,
  makePod,
  makeStatefulSet,
  resource,
  startFakeApiServer,
} from './support/index.js';

/** The rejection's HTTP code and Status reason, as a caller of client-node sees them. */
const failure = async (call: Promise<unknown>) => {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  const { code, body } = err as ApiException<unknown>;
  const status = (typeof body === 'string' ? JSON.parse(body) : body) as { reason?: string; code?: number };
  return { code, reason: status?.reason, statusCode: status?.code };
};

let api: FakeApiServer;
let core: CoreV1Api;
beforeAll(async () => {
  api = await startFakeApiServer();
  core = api.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(() => api.close());

let n = 0;
let node: string;
beforeEach(() => {
  n += 1;
  node = `node-${n}`;
  api.create('nodes', makeNode(node, { zone: 'ap-guangzhou-3', labels: { case: String(n) } }));
});

describe('typed client calls against the fake apiserver', () => {
  it('patchNodeStatus with a JSON patch sets the eni-ip extended resource (with the ~1 escape)', async () => {
    const patch = [
      { op: 'add', path: `/status/capacity/${ENI_IP_RESOURCE.replace('/', '~1')}`, value: '20' },
      { op: 'add', path: `/status/allocatable/${ENI_IP_RESOURCE.replace('/', '~1')}`, value: '5' },
    ];
    const before = await core.readNode({ name: node });
    const out = await core.patchNodeStatus(
      { name: node, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(out.status?.capacity?.[ENI_IP_RESOURCE]).toBe('20');
    expect(out.status?.allocatable?.[ENI_IP_RESOURCE]).toBe('5');
    expect(Number(out.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
    expect(api.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: `/api/v1/nodes/${node}/status`,
      contentType: 'application/json-patch+json',
    });
  });

  it('a JSON patch whose test operation fails is 422 Invalid and changes nothing', async () => {
    const rv = api.get('nodes', node).metadata.resourceVersion;
    const patch = [
      { op: 'test', path: '/metadata/labels/case', value: 'not-this' },
      { op: 'add', path: '/metadata/labels/x', value: 'y' },
    ];
    const err = await failure(
      core.patchNode({ name: node, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
    );
    expect(err).toEqual({ code: 422, reason: 'Invalid', statusCode: 422 });
    expect(api.get('nodes', node).metadata.resourceVersion).toBe(rv);
  });

  it('a merge patch adds and removes labels (null deletes)', async () => {
    const out = await core.patchNode(
      { name: node, body: { metadata: { labels: { case: null, pool: 'eni' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(out.metadata?.labels?.pool).toBe('eni');
    expect(out.metadata?.labels).not.toHaveProperty('case');
  });

  it('a status patch ignores spec changes, and a main-resource patch ignores status changes', async () => {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const viaStatus = await core.patchNodeStatus(
      { name: node, body: { spec: { unschedulable: true }, status: { capacity: { pods: '7' } } } },
      merge,
    );
    expect(viaStatus.spec?.unschedulable).toBeUndefined();
    expect(viaStatus.status?.capacity?.pods).toBe('7');
    const viaMain = await core.patchNode(
      { name: node, body: { spec: { unschedulable: true }, status: { capacity: { pods: '9' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(viaMain.spec?.unschedulable).toBe(true);
    expect(viaMain.status?.capacity?.pods).toBe('7');
  });

  it('a PUT with a stale resourceVersion is 409 Conflict; with the current one it succeeds', async () => {
    const fresh = await core.readNode({ name: node });
    await core.patchNode(
      { name: node, body: { metadata: { labels: { bumped: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const err = await failure(core.replaceNode({ name: node, body: fresh }));
    expect(err).toEqual({ code: 409, reason: 'Conflict', statusCode: 409 });
    const latest = await core.readNode({ name: node });
    latest.metadata = { ...latest.metadata, labels: { ...latest.metadata?.labels, replaced: 'yes' } };
    const out = await core.replaceNode({ name: node, body: latest });
    expect(out.metadata?.labels?.replaced).toBe('yes');
  });

  it('create of an existing name is 409 AlreadyExists; get of a missing one is 404 NotFound', async () => {
    expect(await failure(core.createNode({ body: makeNode(node, { zone: 'z' }) }))).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      statusCode: 409,
    });
    expect(await failure(core.readNode({ name: `${node}-missing` }))).toEqual({
      code: 404,
      reason: 'NotFound',
      statusCode: 404,
    });
  });

  it('delete with a UID precondition that does not hold is 409 and keeps the object', async () => {
    const err = await failure(core.deleteNode({ name: node, body: { preconditions: { uid: 'someone-else' } } }));
    expect(err.code).toBe(409);
    await core.readNode({ name: node });
    const uid = api.get('nodes', node).metadata.uid;
    const status = await core.deleteNode({ name: node, body: { preconditions: { uid } } });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: node, kind: 'nodes', uid } });
    expect((await failure(core.readNode({ name: node }))).code).toBe(404);
  });

  it('deleting a pod answers with the pod, carrying the resourceVersion of its DELETED event', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: makePod('default', `del-${n}`, { node }) });
    const gone = await core.deleteNamespacedPod({ namespace: 'default', name: `del-${n}` });
    expect(gone).toMatchObject({ kind: 'Pod', metadata: { name: `del-${n}`, resourceVersion: api.resourceVersion() } });
  });

  it('pods are listed by spec.nodeName, per namespace and across namespaces', async () => {
    await core.createNamespacedPod({ namespace: 'a', body: makePod('a', `p1-${n}`, { node }) });
    await core.createNamespacedPod({ namespace: 'b', body: makePod('b', `p2-${n}`, { node }) });
    await core.createNamespacedPod({ namespace: 'a', body: makePod('a', `p3-${n}`, { node: 'elsewhere' }) });
    const all = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    expect(all.items.map((p) => p.metadata?.name)).toEqual([`p1-${n}`, `p2-${n}`]);
    expect(all.metadata?.resourceVersion).toBe(api.resourceVersion());
    const inA = await core.listNamespacedPod({ namespace: 'a', fieldSelector: `spec.nodeName=${node}` });
    expect(inA.items.map((p) => p.metadata?.name)).toEqual([`p1-${n}`]);
    const unsupported = await failure(core.listNamespacedPod({ namespace: 'a', fieldSelector: 'spec.bogus=1' }));
    expect(unsupported).toEqual({ code: 400, reason: 'BadRequest', statusCode: 400 });
  });

  it('nodes are listed by label selectors (=, !=, in, notin, exists, !exists)', async () => {
    const names = async (labelSelector: string) =>
      (await core.listNode({ labelSelector })).items.map((x) => x.metadata?.name).filter((x) => x === node);
    expect(await names(`case=${n}`)).toEqual([node]);
    expect(await names(`case==${n},topology.kubernetes.io/zone=ap-guangzhou-3`)).toEqual([node]);
    expect(await names(`case!=${n}`)).toEqual([]);
    expect(await names(`case in (${n}, other)`)).toEqual([node]);
    expect(await names(`case notin (${n})`)).toEqual([]);
    expect(await names('case')).toEqual([node]);
    expect(await names('!case')).toEqual([]);
    expect((await failure(core.listNode({ labelSelector: 'case in (' }))).code).toBe(400);
  });

  it('an Event created with createNamespacedEvent is listed by its involvedObject', async () => {
    const pod = await core.createNamespacedPod({ namespace: 'default', body: makePod('default', `ev-${n}`) });
    const involvedObject = { kind: 'Pod', namespace: 'default', name: `ev-${n}`, uid: pod.metadata?.uid };
    await core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { generateName: `ev-${n}.` },
        involvedObject,
        reason: 'EniIpExhausted',
        message: 'no free address in subnet-1',
        type: 'Warning',
        source: { component: 'eni-ipamd' },
      },
    });
    const list = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.name=ev-${n},involvedObject.uid=${pod.metadata?.uid},type=Warning`,
    });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ reason: 'EniIpExhausted', involvedObject });
    expect(list.items[0]?.metadata?.name).toMatch(new RegExp(`^ev-${n}\\.[a-z0-9]{5}$`));
  });

  it('StatefulSets are served under apps/v1 and own their pods', async () => {
    const apps = api.kubeConfig().makeApiClient(AppsV1Api);
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: makeStatefulSet('default', `web${n}`),
    });
    const uid = sts.metadata?.uid as string;
    const pod = makePod('default', `web${n}-0`, { node, ownerStatefulSet: { name: `web${n}`, uid } });
    await core.createNamespacedPod({ namespace: 'default', body: pod });
    const back = await core.readNamespacedPod({ namespace: 'default', name: `web${n}-0` });
    expect(back.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: `web${n}`, uid });
    expect((await apps.readNamespacedStatefulSet({ namespace: 'default', name: `web${n}` })).spec?.replicas).toBe(1);
  });

  it('an injected fault fails the matching request once with the given Status', async () => {
    const fault = api.injectFault({ method: 'PATCH', resource: 'nodes', subresource: 'status', code: 429 });
    const body = { status: { capacity: { pods: '3' } } };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    expect(await failure(core.patchNodeStatus({ name: node, body }, merge))).toEqual({
      code: 429,
      reason: 'TooManyRequests',
      statusCode: 429,
    });
    expect(fault.hits).toBe(1);
    expect((await core.patchNodeStatus({ name: node, body }, merge)).status?.capacity?.pods).toBe('3');
  });
});

describe('bearer-token authentication', () => {
  it('accepts the configured token and answers 401 without it', async () => {
    const secured = await startFakeApiServer({ token: 's3cret' });
    try {
      await secured.kubeConfig().makeApiClient(CoreV1Api).listNode();
      const anonymous = new KubeConfig();
      anonymous.loadFromOptions({
        // client-node refuses plain http unless skipTLSVerify is set.
        clusters: [{ name: 'c', server: secured.url, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      const err = await anonymous
        .makeApiClient(CoreV1Api)
        .listNode()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<unknown>).code).toBe(401);
    } finally {
      await secured.close();
    }
  });
});

describe('request log', () => {
  it('keeps the latest requestLogLimit requests', async () => {
    const small = await startFakeApiServer({ requestLogLimit: 2 });
    try {
      const c = small.kubeConfig().makeApiClient(CoreV1Api);
      await c.listNode();
      await c.listNamespacedPod({ namespace: 'a' });
      await c.listNamespacedConfigMap({ namespace: 'b' });
      expect(small.requests.map((r) => r.path)).toEqual([
        '/api/v1/namespaces/a/pods',
        '/api/v1/namespaces/b/configmaps',
      ]);
    } finally {
      await small.close();
    }
  });
});

describe('the resource table', () => {
  it('serves one more resource from one row', async () => {
    const withServices = await startFakeApiServer({
      resources: [resource('v1', 'Service', { namespaced: true, status: true })],
    });
    try {
      const c = withServices.kubeConfig().makeApiClient(CoreV1Api);
      await c.createNamespacedService({
        namespace: 'kube-system',
        body: { metadata: { name: 'ipamd' }, spec: { ports: [{ port: 80 }] } },
      });
      const list = await c.listNamespacedService({ namespace: 'kube-system', fieldSelector: 'metadata.name=ipamd' });
      expect(list).toMatchObject({
        kind: 'ServiceList',
        items: [{ metadata: { name: 'ipamd', namespace: 'kube-system' } }],
      });
    } finally {
      await withServices.close();
    }
  });
});

describe('discovery', () => {
  it('lists the served groups and resources, as kubectl expects', async () => {
    const get = async (path: string) => (await fetch(`${api.url}${path}`)).json();
    expect(await get('/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect(await get('/apis')).toMatchObject({
      kind: 'APIGroupList',
      groups: [{ name: 'apps', preferredVersion: { version: 'v1' } }],
    });
    const core = (await get('/api/v1')) as { resources: Array<{ name: string; namespaced: boolean }> };
    expect(core.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'nodes', namespaced: false }),
        expect.objectContaining({ name: 'nodes/status' }),
        expect.objectContaining({ name: 'events', namespaced: true }),
      ]),
    );
    expect(await get('/apis/apps/v1')).toMatchObject({
      groupVersion: 'apps/v1',
      resources: [{ name: 'statefulsets' }, { name: 'statefulsets/status' }],
    });
    expect((await fetch(`${api.url}/apis/nope/v1`)).status).toBe(404);
  });
});

describe('HTTP edge cases answer with a Status and change nothing', () => {
  const call = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      ...(body !== undefined ? { body, headers: { 'Content-Type': contentType } } : {}),
    });
    const status = (await res.json()) as { kind?: string; reason?: string; code?: number };
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', code: res.status });
    return `${res.status} ${status.reason}`;
  };

  it.each([
    { method: 'GET', path: '/api/v1/nodes?watch=true&resourceVersion=abc', want: '400 BadRequest' },
    { method: 'GET', path: '/api/v1/nodes?watch=true&labelSelector=a%20in%20(', want: '400 BadRequest' },
    { method: 'GET', path: '/api/v1/nodes?watch=true&timeoutSeconds=-1', want: '400 BadRequest' },
    { method: 'GET', path: '/api/v1/widgets', want: '404 NotFound' },
    { method: 'GET', path: '/api/v1/namespaces/default/configmaps/x/status', want: '404 NotFound' },
    { method: 'POST', path: '/api/v1/pods', body: '{"metadata":{"name":"p"}}', want: '405 MethodNotAllowed' },
    { method: 'POST', path: '/api/v1/nodes', body: '{not json', want: '400 BadRequest' },
    { method: 'POST', path: '/api/v1/nodes?dryRun=All', body: '{"metadata":{"name":"dry"}}', want: '400 BadRequest' },
    { method: 'PUT', path: '/api/v1/nodes/absent', body: '{"metadata":{"name":"absent"}}', want: '404 NotFound' },
    { method: 'DELETE', path: '/api/v1/nodes/absent', want: '404 NotFound' },
  ])('$method $path -> $want', async ({ method, path, body, want }) => {
    const rv = api.resourceVersion();
    expect(await call(method, path, body)).toBe(want);
    expect(api.resourceVersion()).toBe(rv);
  });

  it('a PATCH with an unknown content type is 415; a body over 3 MiB is 413', async () => {
    expect(await call('PATCH', `/api/v1/nodes/${node}`, '{}', 'application/json')).toBe('415 UnsupportedMediaType');
    const big = JSON.stringify({ metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024) } } });
    expect(await call('POST', '/api/v1/nodes', big)).toBe('413 RequestEntityTooLarge');
  });
});
