import { describe, expect, it } from 'vitest';
import { applyPatch, patchTypeOf } from './patch.js';
import type { KubeObject } from './resources.js';

const node = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', resourceVersion: '7', labels: { a: '1', 'x/y': 'slash' } },
  status: { capacity: { cpu: '4' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('patchTypeOf', () => {
  it.each([
    { header: 'application/json-patch+json', type: 'json' },
    { header: 'application/merge-patch+json; charset=utf-8', type: 'merge' },
    { header: 'Application/Strategic-Merge-Patch+JSON', type: 'strategic' },
  ])('$header -> $type', ({ header, type }) => expect(patchTypeOf(header)).toBe(type));

  it.each([undefined, 'application/json', 'application/apply-patch+yaml'])('%s is 415', (header) => {
    expect(() => patchTypeOf(header)).toThrow(expect.objectContaining({ code: 415 }));
  });
});

describe('applyPatch', () => {
  it('JSON patch: ~1 escapes a slash in a key, ~0 a tilde, and test guards the change', () => {
    const out = applyPatch(
      'json',
      node(),
      [
        { op: 'test', path: '/metadata/labels/x~1y', value: 'slash' },
        { op: 'add', path: '/status/capacity/tke.cloud.tencent.com~1eni-ip', value: '20' },
        { op: 'add', path: '/metadata/labels/t~0ilde', value: 'yes' },
        { op: 'remove', path: '/metadata/labels/a' },
      ],
      'nodes',
    );
    expect(out.status).toMatchObject({ capacity: { cpu: '4', 'tke.cloud.tencent.com/eni-ip': '20' } });
    expect(out.metadata.labels).toEqual({ 'x/y': 'slash', 't~ilde': 'yes' });
  });

  it.each([
    { why: 'a failing test', ops: [{ op: 'test', path: '/metadata/name', value: 'other' }] },
    { why: 'a path that does not resolve', ops: [{ op: 'add', path: '/spec/missing/deep', value: 1 }] },
    { why: 'an unknown op', ops: [{ op: 'frobnicate', path: '/a' }] },
    { why: 'removing a missing key', ops: [{ op: 'remove', path: '/metadata/labels/none' }] },
  ])('JSON patch with $why is 422 Invalid, and the input is untouched', ({ ops }) => {
    const input = node();
    expect(() => applyPatch('json', input, ops, 'nodes')).toThrow(expect.objectContaining({ code: 422 }));
    expect(input).toEqual(node());
  });

  it('JSON patch: a body that is not an array is 400', () => {
    expect(() => applyPatch('json', node(), { op: 'add' }, 'nodes')).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('merge patch: objects merge, null deletes, lists and scalars replace; the input is untouched', () => {
    const input = node();
    const out = applyPatch(
      'merge',
      input,
      { metadata: { labels: { a: null, b: '2' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      'nodes',
    );
    expect(out.metadata.labels).toEqual({ 'x/y': 'slash', b: '2' });
    expect(out.status).toEqual({ capacity: { cpu: '4' }, conditions: [{ type: 'Ready', status: 'False' }] });
    expect(input).toEqual(node());
  });

  it('strategic merge patch is applied as a merge patch (lists replaced whole)', () => {
    const out = applyPatch(
      'strategic',
      node(),
      { status: { conditions: [{ type: 'Other', status: 'True' }] } },
      'nodes',
    );
    expect(out.status).toMatchObject({ conditions: [{ type: 'Other', status: 'True' }] });
  });

  it.each([
    { body: [1, 2], why: 'an array' },
    { body: 'x', why: 'a string' },
  ])('merge patch with $why as body is 400', ({ body }) => {
    expect(() => applyPatch('merge', node(), body, 'nodes')).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('a patch that removes metadata is 422', () => {
    expect(() => applyPatch('merge', node(), { metadata: null }, 'nodes')).toThrow(
      expect.objectContaining({ code: 422 }),
    );
  });
});
