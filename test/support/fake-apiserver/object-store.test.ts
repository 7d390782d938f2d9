import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, ObjectStore } from './object-store.js';
import { defaultResources, type KubeObject, type ResourceDef } from './resources.js';
import { labelMatcher } from './selectors.js';
import { ApiStatusError } from './status.js';
import { eventFor } from './watch-stream.js';

const def = (plural: string) => defaultResources.find((r) => r.plural === plural) as ResourceDef;
const nodes = def('nodes');
const pods = def('pods');
const configmaps = def('configmaps');
const fixedClock = () => new Date('2026-01-02T03:04:05.678Z');
let seq = 0;
const newStore = (historyLimit = 1000) => new ObjectStore({ historyLimit, now: fixedClock, uid: () => `uid-${++seq}` });

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiStatusError) return `${err.code} ${err.reason}`;
    throw err;
  }
  return 'no error';
};

describe('ObjectStore writes', () => {
  it('create fills system metadata and hands out increasing resourceVersions across resources', () => {
    const store = newStore();
    const n = store.create(nodes, undefined, { metadata: { name: 'n1', namespace: 'ignored' } });
    const p = store.create(pods, 'ns', { metadata: { name: 'p1' }, spec: {} });
    expect(n).toMatchObject({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-02T03:04:05Z' },
    });
    expect(n.metadata).not.toHaveProperty('namespace');
    expect(p.metadata).toMatchObject({ namespace: 'ns', resourceVersion: '2' });
    expect(store.resourceVersion()).toBe(2);
  });

  it.each([
    { why: 'no name', body: { metadata: {} }, error: '422 Invalid' },
    { why: 'no metadata', body: { spec: {} }, error: '422 Invalid' },
    { why: 'a resourceVersion', body: { metadata: { name: 'a', resourceVersion: '3' } }, error: '400 BadRequest' },
    { why: 'another namespace', body: { metadata: { name: 'a', namespace: 'other' } }, error: '400 BadRequest' },
    { why: 'a non-string label', body: { metadata: { name: 'a', labels: { x: 1 } } }, error: '422 Invalid' },
    { why: 'an existing name', body: { metadata: { name: 'taken' } }, error: '409 AlreadyExists' },
  ])('create with $why is $error and changes nothing', ({ body, error }) => {
    const store = newStore();
    store.create(configmaps, 'ns', { metadata: { name: 'taken' } });
    expect(codeOf(() => store.create(configmaps, 'ns', body))).toBe(error);
    expect(store.resourceVersion()).toBe(1);
    expect(store.list(configmaps).map((o) => o.metadata.name)).toEqual(['taken']);
  });

  it('an update that changes nothing keeps the resourceVersion and emits no change', () => {
    const store = newStore();
    const seen: Change[] = [];
    const created = store.create(configmaps, 'ns', { metadata: { name: 'c' }, data: { a: '1' } });
    store.subscribe((c) => seen.push(c));
    const same = store.update(configmaps, 'ns', 'c', structuredClone(created));
    expect(same.metadata.resourceVersion).toBe('1');
    expect(store.patch(configmaps, 'ns', 'c', 'merge', { data: { a: '1' } }).metadata.resourceVersion).toBe('1');
    expect(seen).toEqual([]);
  });

  it('a spec change bumps generation; a status change through /status does not', () => {
    const store = newStore();
    store.create(nodes, undefined, { metadata: { name: 'n' }, spec: { podCIDR: 'a' } });
    expect(store.patch(nodes, undefined, 'n', 'merge', { spec: { podCIDR: 'b' } }).metadata.generation).toBe(2);
    expect(store.patch(nodes, undefined, 'n', 'merge', { status: { phase: 'x' } }, true).metadata.generation).toBe(2);
    expect(store.patch(nodes, undefined, 'n', 'merge', { metadata: { labels: { l: 'v' } } }).metadata.generation).toBe(
      2,
    );
  });

  it('system metadata cannot be changed by an update, and a different uid is a conflict', () => {
    const store = newStore();
    const c = store.create(configmaps, 'ns', { metadata: { name: 'c' } });
    const out = store.patch(configmaps, 'ns', 'c', 'merge', { metadata: { creationTimestamp: 'x', generation: 9 } });
    expect(out.metadata).toMatchObject({ creationTimestamp: c.metadata.creationTimestamp, generation: 1 });
    expect(codeOf(() => store.patch(configmaps, 'ns', 'c', 'merge', { metadata: { uid: 'other' } }))).toBe(
      '409 Conflict',
    );
    expect(codeOf(() => store.patch(configmaps, 'ns', 'c', 'merge', { metadata: { name: 'd' } }))).toBe(
      '400 BadRequest',
    );
  });

  it('a patch carrying a stale resourceVersion is 409 Conflict; /status on a resource without status is absent', () => {
    const store = newStore();
    store.create(pods, 'ns', { metadata: { name: 'p' } });
    store.patch(pods, 'ns', 'p', 'merge', { metadata: { labels: { a: 'b' } } });
    const stale = { metadata: { resourceVersion: '1', labels: { a: 'c' } } };
    expect(codeOf(() => store.patch(pods, 'ns', 'p', 'merge', stale))).toBe('409 Conflict');
    expect(codeOf(() => store.delete(pods, 'ns', 'p', { preconditions: { resourceVersion: '1' } }))).toBe(
      '409 Conflict',
    );
    expect(codeOf(() => store.get(pods, 'other-ns', 'p'))).toBe('404 NotFound');
  });
});

describe('ObjectStore deletion lifecycle', () => {
  it('an object with a finalizer is marked by DELETE and goes when an update removes the finalizer', () => {
    const store = newStore();
    const seen: string[] = [];
    store.subscribe((c) => seen.push(`${c.type}@${c.rv}`));
    store.create(configmaps, 'ns', { metadata: { name: 'c', finalizers: ['eni-ipam/claim'] } }); // 1
    const marked = store.delete(configmaps, 'ns', 'c'); // 2
    expect(marked.metadata).toMatchObject({ deletionTimestamp: '2026-01-02T03:04:05Z', deletionGracePeriodSeconds: 0 });
    expect(
      store.patch(configmaps, 'ns', 'c', 'merge', { metadata: { deletionTimestamp: null } }).metadata.deletionTimestamp,
    ).toBe('2026-01-02T03:04:05Z'); // clients cannot clear it: a no-op
    store.patch(configmaps, 'ns', 'c', 'merge', { metadata: { finalizers: null } }); // 3
    expect(store.has(configmaps, 'ns', 'c')).toBe(false);
    expect(seen).toEqual(['ADDED@1', 'MODIFIED@2', 'DELETED@3']);
  });

  it('with graceful pod deletion, a bound pod stays terminating until deleted with gracePeriodSeconds 0', () => {
    const store = new ObjectStore({ now: fixedClock, gracefulPodDeletion: true });
    store.create(pods, 'ns', { metadata: { name: 'p' }, spec: { nodeName: 'n1' } });
    expect(store.delete(pods, 'ns', 'p').metadata.deletionGracePeriodSeconds).toBe(30);
    expect(store.delete(pods, 'ns', 'p').metadata.resourceVersion).toBe('2');
    expect(store.has(pods, 'ns', 'p')).toBe(true);
    store.delete(pods, 'ns', 'p', { gracePeriodSeconds: 0 });
    expect(store.has(pods, 'ns', 'p')).toBe(false);
  });
});

describe('ObjectStore history', () => {
  it('changesSince replays after a resourceVersion, per resource, and 410s once the history is trimmed', () => {
    const store = newStore(3);
    store.create(nodes, undefined, { metadata: { name: 'a' } }); // 1
    store.create(configmaps, 'ns', { metadata: { name: 'c' } }); // 2
    store.create(nodes, undefined, { metadata: { name: 'b' } }); // 3
    store.delete(nodes, undefined, 'a'); // 4, drops 1 from the history
    expect(store.changesSince(nodes, 1).map((c) => `${c.type}:${c.object.metadata.name}@${c.rv}`)).toEqual([
      'ADDED:b@3',
      'DELETED:a@4',
    ]);
    expect(codeOf(() => store.changesSince(nodes, 0))).toBe('410 Expired');
    store.compact();
    expect(store.changesSince(nodes, 4)).toEqual([]);
    expect(codeOf(() => store.changesSince(nodes, 3))).toBe('410 Expired');
  });

  it('eventFor turns changes across a selector boundary into ADDED and DELETED (transition table)', () => {
    const red = labelMatcher('color=red');
    const obj = (color: string, rv: string): KubeObject => ({
      metadata: { name: 'o', resourceVersion: rv, labels: { color } },
    });
    const change = (type: Change['type'], object: KubeObject, prev?: KubeObject): Change =>
      prev ? { rv: 9, def: pods, type, object, prev } : { rv: 9, def: pods, type, object };
    const table = [
      { c: change('ADDED', obj('red', '9')), expect: 'ADDED red@9' },
      { c: change('ADDED', obj('blue', '9')), expect: 'none' },
      { c: change('MODIFIED', obj('red', '9'), obj('red', '8')), expect: 'MODIFIED red@9' },
      { c: change('MODIFIED', obj('red', '9'), obj('blue', '8')), expect: 'ADDED red@9' },
      { c: change('MODIFIED', obj('blue', '9'), obj('red', '8')), expect: 'DELETED red@9' },
      { c: change('MODIFIED', obj('blue', '9'), obj('blue', '8')), expect: 'none' },
      { c: change('DELETED', obj('red', '9'), obj('red', '8')), expect: 'DELETED red@9' },
      { c: change('DELETED', obj('blue', '9'), obj('blue', '8')), expect: 'none' },
    ];
    for (const row of table) {
      const ev = eventFor(row.c, red);
      const o = ev?.object as KubeObject | undefined;
      expect(ev ? `${ev.type} ${o?.metadata.labels?.color}@${o?.metadata.resourceVersion}` : 'none').toBe(row.expect);
    }
  });

  it('any snapshot plus the filtered replay after its resourceVersion gives the final filtered state (property)', () => {
    const name = fc.constantFrom('a', 'b', 'c');
    const color = fc.constantFrom('red', 'blue');
    const op = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), name, color }),
      fc.record({ kind: fc.constant('relabel' as const), name, color }),
      fc.record({ kind: fc.constant('delete' as const), name }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const store = newStore();
        const red = labelMatcher('color=red');
        const snapshots: Array<{ rv: number; items: KubeObject[] }> = [{ rv: 0, items: [] }];
        for (const o of ops) {
          try {
            if (o.kind === 'create')
              store.create(pods, 'ns', { metadata: { name: o.name, labels: { color: o.color } } });
            else if (o.kind === 'relabel')
              store.patch(pods, 'ns', o.name, 'merge', { metadata: { labels: { color: o.color } } });
            else store.delete(pods, 'ns', o.name);
          } catch (err) {
            if (!(err instanceof ApiStatusError)) throw err;
          }
          snapshots.push({ rv: store.resourceVersion(), items: store.list(pods).filter(red) });
        }
        const final = store.list(pods).filter(red);
        for (const snap of snapshots) {
          const cache = new Map(snap.items.map((i) => [i.metadata.name, i]));
          for (const c of store.changesSince(pods, snap.rv)) {
            const ev = eventFor(c, red);
            const o = ev?.object as KubeObject | undefined;
            if (ev?.type === 'DELETED') cache.delete(o?.metadata.name);
            else if (ev) cache.set(o?.metadata.name, o as KubeObject);
          }
          expect(
            [...cache.values()].sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? '')),
          ).toEqual(final);
        }
      }),
    );
  });
});
