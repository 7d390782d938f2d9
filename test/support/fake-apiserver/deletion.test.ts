import { describe, expect, it } from 'vitest';
import { type DeletePlan, finishedTerminating, planDeletion } from './deletion.js';
import { defaultResources, type KubeObject, type ResourceDef } from './resources.js';

const def = (plural: string) => defaultResources.find((r) => r.plural === plural) as ResourceDef;
const now = new Date('2026-01-01T00:00:00Z');
const pod = (meta: Partial<KubeObject['metadata']> = {}, spec: Record<string, unknown> = { nodeName: 'n1' }) => ({
  metadata: { name: 'p', ...meta },
  spec,
});
const mark = (seconds: number, at = `2026-01-01T00:00:${String(seconds).padStart(2, '0')}Z`): DeletePlan => ({
  kind: 'mark',
  deletionTimestamp: at,
  deletionGracePeriodSeconds: seconds,
});
const terminating = { deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 };

describe('planDeletion', () => {
  it.each([
    {
      why: 'a configmap',
      plural: 'configmaps',
      obj: pod({}, {}),
      graceful: true,
      grace: undefined,
      plan: { kind: 'remove' },
    },
    {
      why: 'a bound pod, graceful off',
      plural: 'pods',
      obj: pod(),
      graceful: false,
      grace: undefined,
      plan: { kind: 'remove' },
    },
    { why: 'a bound pod, default grace', plural: 'pods', obj: pod(), graceful: true, grace: undefined, plan: mark(30) },
    {
      why: 'a bound pod, its own grace',
      plural: 'pods',
      obj: pod({}, { nodeName: 'n', terminationGracePeriodSeconds: 5 }),
      graceful: true,
      grace: undefined,
      plan: mark(5),
    },
    { why: 'a bound pod, grace 0', plural: 'pods', obj: pod(), graceful: true, grace: 0, plan: { kind: 'remove' } },
    {
      why: 'an unbound pod',
      plural: 'pods',
      obj: pod({}, {}),
      graceful: true,
      grace: undefined,
      plan: { kind: 'remove' },
    },
    {
      why: 'a terminating pod, again',
      plural: 'pods',
      obj: pod(terminating),
      graceful: true,
      grace: undefined,
      plan: { kind: 'unchanged' },
    },
    {
      why: 'a terminating pod, grace 0',
      plural: 'pods',
      obj: pod(terminating),
      graceful: true,
      grace: 0,
      plan: { kind: 'remove' },
    },
    {
      why: 'a node with finalizers',
      plural: 'nodes',
      obj: pod({ finalizers: ['x'] }, {}),
      graceful: false,
      grace: undefined,
      plan: mark(0, '2026-01-01T00:00:00Z'),
    },
    {
      why: 'a terminating pod with finalizers, grace 0',
      plural: 'pods',
      obj: pod({ ...terminating, finalizers: ['x'] }),
      graceful: true,
      grace: 0,
      plan: mark(0, terminating.deletionTimestamp),
    },
  ])('$why -> $plan.kind', ({ plural, obj, graceful, grace, plan }) => {
    expect(
      planDeletion({
        def: def(plural),
        existing: obj as KubeObject,
        gracePeriodSeconds: grace,
        gracefulPods: graceful,
        now,
      }),
    ).toEqual(plan);
  });

  it.each([
    { meta: { deletionTimestamp: 't', deletionGracePeriodSeconds: 0 }, done: true },
    { meta: { deletionTimestamp: 't', deletionGracePeriodSeconds: 0, finalizers: ['x'] }, done: false },
    { meta: { deletionTimestamp: 't', deletionGracePeriodSeconds: 30 }, done: false },
    { meta: {}, done: false },
  ])('finishedTerminating($meta) is $done', ({ meta, done }) => {
    expect(finishedTerminating({ metadata: { name: 'x', ...meta } })).toBe(done);
  });
});
