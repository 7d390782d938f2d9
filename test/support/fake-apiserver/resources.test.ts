import { describe, expect, it } from 'vitest';
import { defaultResources, routeOf } from './resources.js';

const route = (path: string) => {
  const r = routeOf(defaultResources, path);
  return r ? { plural: r.def.plural, namespace: r.namespace, name: r.name, subresource: r.subresource } : undefined;
};

describe('routeOf', () => {
  it.each([
    { path: '/api/v1/nodes', expect: { plural: 'nodes' } },
    { path: '/api/v1/nodes/n1', expect: { plural: 'nodes', name: 'n1' } },
    { path: '/api/v1/nodes/n1/status', expect: { plural: 'nodes', name: 'n1', subresource: 'status' } },
    { path: '/api/v1/pods', expect: { plural: 'pods' } },
    { path: '/api/v1/namespaces/ns/pods', expect: { plural: 'pods', namespace: 'ns' } },
    {
      path: '/api/v1/namespaces/ns/pods/p/status',
      expect: { plural: 'pods', namespace: 'ns', name: 'p', subresource: 'status' },
    },
    { path: '/api/v1/namespaces/ns', expect: { plural: 'namespaces', name: 'ns' } },
    { path: '/api/v1/namespaces', expect: { plural: 'namespaces' } },
    {
      path: '/apis/apps/v1/namespaces/ns/statefulsets/web',
      expect: { plural: 'statefulsets', namespace: 'ns', name: 'web' },
    },
    { path: '/api/v1/namespaces/ns/nodes', expect: undefined },
    { path: '/api/v1/pods/p', expect: undefined },
    { path: '/apis/apps/v1/pods', expect: undefined },
    { path: '/api/v2/nodes', expect: undefined },
    { path: '/api/v1/nodes/n1/status/extra', expect: undefined },
    { path: '/healthz', expect: undefined },
  ])('$path', ({ path, expect: want }) => {
    const got = route(path);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toEqual({ namespace: undefined, name: undefined, subresource: undefined, ...want });
  });
});
