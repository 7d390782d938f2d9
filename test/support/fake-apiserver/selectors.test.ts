import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultResources, type KubeObject, type ResourceDef } from './resources.js';
import { fieldMatcher, labelMatcher, parseLabelSelector } from './selectors.js';
import { ApiStatusError } from './status.js';

const def = (plural: string) => defaultResources.find((r) => r.plural === plural) as ResourceDef;
const withLabels = (labels: Record<string, string>): KubeObject => ({ metadata: { name: 'x', labels } });
const labels = { app: 'web', tier: 'front', 'topology.kubernetes.io/zone': 'ap-guangzhou-3', replicas: '3' };

describe('label selectors', () => {
  it.each([
    { selector: '', matches: true },
    { selector: 'app=web', matches: true },
    { selector: 'app==web', matches: true },
    { selector: 'app=db', matches: false },
    { selector: 'app!=db', matches: true },
    { selector: 'missing!=db', matches: true },
    { selector: 'app in (db, web)', matches: true },
    { selector: 'app in (db)', matches: false },
    { selector: 'app notin (db)', matches: true },
    { selector: 'missing notin (db)', matches: true },
    { selector: 'app notin (web,db)', matches: false },
    { selector: 'tier', matches: true },
    { selector: 'missing', matches: false },
    { selector: '!missing', matches: true },
    { selector: '!tier', matches: false },
    { selector: 'replicas>2', matches: true },
    { selector: 'replicas<3', matches: false },
    { selector: 'app=web, tier in (front), !missing', matches: true },
    { selector: 'app=web,tier=back', matches: false },
    { selector: 'topology.kubernetes.io/zone=ap-guangzhou-3', matches: true },
    { selector: 'app=', matches: false },
    { selector: 'missing=', matches: false },
  ])('"$selector" on a web/front pod -> $matches', ({ selector, matches }) => {
    expect(labelMatcher(selector)(withLabels(labels))).toBe(matches);
  });

  it.each([
    'app in (web',
    'app in web',
    '=web',
    'app=web,',
    'app=web tier=front',
    'Bad_Key!/x=1',
    'app=-bad-',
  ])('"%s" is a 400 BadRequest', (selector) => {
    expect(() => labelMatcher(selector)).toThrow(ApiStatusError);
    try {
      labelMatcher(selector);
    } catch (err) {
      expect((err as ApiStatusError).code).toBe(400);
    }
  });

  it('k=v matches exactly the objects whose label k is v (property)', () => {
    const token = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    fc.assert(
      fc.property(fc.dictionary(token, token), token, token, (ls, k, v) => {
        expect(labelMatcher(`${k}=${v}`)(withLabels(ls))).toBe(ls[k] === v);
        expect(labelMatcher(`${k}!=${v}`)(withLabels(ls))).toBe(ls[k] !== v);
        expect(parseLabelSelector(`${k} in (${v}),!${k}x`)).toHaveLength(2);
      }),
    );
  });
});

describe('field selectors', () => {
  const pod = (nodeName: string): KubeObject => ({
    metadata: { name: 'p', namespace: 'ns1' },
    spec: { nodeName, hostNetwork: true },
    status: { phase: 'Running' },
  });

  it.each([
    { selector: 'spec.nodeName=n1', matches: true },
    { selector: 'spec.nodeName==n1', matches: true },
    { selector: 'spec.nodeName!=n1', matches: false },
    { selector: 'spec.nodeName=n1,metadata.namespace=ns1,status.phase=Running', matches: true },
    { selector: 'metadata.name=p,spec.hostNetwork=true', matches: true },
    { selector: 'spec.nodeName=', matches: false },
  ])('pods "$selector" -> $matches', ({ selector, matches }) => {
    expect(fieldMatcher(def('pods'), selector)(pod('n1'))).toBe(matches);
  });

  it('an unscheduled pod matches spec.nodeName= (the empty value)', () => {
    expect(fieldMatcher(def('pods'), 'spec.nodeName=')({ metadata: { name: 'p' }, spec: {} })).toBe(true);
  });

  it('backslash escapes let a value hold commas and equals signs', () => {
    const event: KubeObject = { metadata: { name: 'e' }, involvedObject: { fieldPath: 'spec.containers{a,b=c}' } };
    expect(fieldMatcher(def('events'), 'involvedObject.fieldPath=spec.containers{a\\,b\\=c}')(event)).toBe(true);
  });

  it.each([
    { plural: 'pods', selector: 'spec.bogus=x' },
    { plural: 'nodes', selector: 'spec.nodeName=n1' },
    { plural: 'nodes', selector: 'metadata.namespace=x' },
    { plural: 'events', selector: 'nonsense' },
  ])('$plural "$selector" is a 400 BadRequest', ({ plural, selector }) => {
    expect(() => fieldMatcher(def(plural), selector)).toThrow(/field label not supported|invalid selector/);
  });
});
