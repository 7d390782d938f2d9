/** Pod sync: VPC-CNI pods from the fake apiserver -> PodLifecycle; bad annotations -> Warning Event, no call. */

import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_POD_REASON } from './pod-sync.js';
import { type Harness, makePod, startHarness, waitFor } from './testing.js';

const POLICY = 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy';
const NETWORKS = 'tke.cloud.tencent.com/networks';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('PodSync', () => {
  it('hands VPC-CNI pods to podSeen (mode, policy, StatefulSet) and ignores the others', async () => {
    const harness = await startHarness((api) => {
      api.create(
        'pods',
        makePod('default', 'web-0', { node: 'n1', ownerStatefulSet: 'web', annotations: { [POLICY]: 'Never' } }),
      );
      api.create('pods', makePod('default', 'db', { node: 'n1', eni: 'direct' }));
      api.create('pods', makePod('default', 'plain', { node: 'n1', eni: 'none' }));
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.pods.calls.length === 2, { what: 'two podSeen calls' });
    await harness.kube.idle();
    const seen = Object.fromEntries(harness.pods.calls.map((c) => [c.pod.name, c]));
    expect(seen['web-0']).toEqual({
      op: 'seen',
      pod: {
        namespace: 'default',
        name: 'web-0',
        uid: expect.any(String),
        node: 'n1',
        network: 'tke-route-eni',
        claimPolicy: 'Never',
        statefulSet: 'web',
        terminating: false,
        phase: 'Pending',
      },
    });
    expect(seen.db).toMatchObject({
      pod: { network: 'tke-direct-eni', claimPolicy: 'Immediate', statefulSet: undefined },
    });
    expect(seen.plain).toBeUndefined();
  });

  it('follows scheduling and phase, and reports the deletion with the claim policy', async () => {
    const harness = await startHarness((api) => api.create('pods', makePod('ns1', 'p', {})));
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.pods.calls.length === 1, { what: 'the pending pod' });
    harness.api.patch('pods', 'p', { spec: { nodeName: 'n2' } }, { namespace: 'ns1' });
    harness.api.patch('pods', 'p', { status: { phase: 'Running' } }, { namespace: 'ns1', status: true });
    harness.api.delete('pods', 'p', 'ns1');
    await waitFor(() => harness.pods.calls.some((c) => c.op === 'deleted'), { what: 'podDeleted' });
    await harness.kube.idle();
    expect(harness.pods.calls.map((c) => (c.op === 'seen' ? `seen:${c.pod.node}:${c.pod.phase}` : c.op))).toEqual([
      'seen:undefined:Pending',
      'seen:n2:Pending',
      'seen:n2:Running',
      'deleted',
    ]);
    expect(harness.pods.calls[3]).toEqual({
      op: 'deleted',
      pod: { namespace: 'ns1', name: 'p', uid: expect.any(String), claimPolicy: 'Immediate', statefulSet: undefined },
    });
  });

  it.each<{ what: string; annotations: Record<string, string>; says: string }>([
    {
      what: 'an unknown network',
      annotations: { [NETWORKS]: 'tke-bridge' },
      says: 'unknown tke.cloud.tencent.com/networks value "tke-bridge"',
    },
    {
      what: 'an unknown claim policy',
      annotations: { [POLICY]: 'Sometimes' },
      says: `unknown ${POLICY} value "Sometimes"`,
    },
  ])('$what: a Warning Event on the pod and no call, even when it changes', async ({ annotations, says }) => {
    const harness = await startHarness((api) => {
      api.create('pods', makePod('default', 'bad', { node: 'n1', annotations }));
      api.create('pods', makePod('default', 'good', { node: 'n1' }));
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.events('default', INVALID_POD_REASON).length === 1, { what: 'the Warning' });
    expect(harness.events('default', INVALID_POD_REASON)[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'bad' },
      count: 1,
    });
    expect(harness.events('default', INVALID_POD_REASON)[0]?.message).toContain(says);

    // Each new version of the bad pod repeats the Warning (count 2), still no call; its deletion calls nothing.
    harness.api.patch('pods', 'bad', { metadata: { labels: { touched: 'yes' } } }, { namespace: 'default' });
    await waitFor(() => harness.events('default', INVALID_POD_REASON)[0]?.count === 2, { what: 'count 2' });
    harness.api.delete('pods', 'bad', 'default');
    await waitFor(() => harness.kube.informers.pods.get('bad', 'default') === undefined, { what: 'the deletion' });
    await harness.kube.idle();
    expect(harness.pods.calls.map((c) => `${c.op}:${c.pod.name}`)).toEqual(['seen:good']);
    expect(harness.events('default', INVALID_POD_REASON)).toHaveLength(1);
    expect(harness.logs.some((l) => l.msg === 'pod not served: bad annotation' && l.pod === 'default/bad')).toBe(true);
  });

  it('pods deleted while the watch failed (injected 500, then 410) are reported after the relist; failed calls retried at resync', async () => {
    const harness = await startHarness((api) => {
      for (const n of ['p1', 'p2']) api.create('pods', makePod('default', n, { node: 'n1' }));
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.pods.calls.length === 2, { what: 'both pods' });
    const fault = harness.api.injectFault({
      resource: 'pods',
      watch: true,
      code: 500,
      times: Number.POSITIVE_INFINITY,
    });
    await waitFor(() => harness.api.openWatchCount('pods') === 1, { what: 'the open watch' });
    harness.api.closeWatches('pods');
    await waitFor(() => fault.hits >= 1, { what: 'a failing watch' });
    harness.api.delete('pods', 'p1', 'default');
    harness.api.compact();
    harness.pods.failNext = 1;
    fault.remove();
    await waitFor(() => harness.logs.some((l) => l.msg === 'podDeleted failed; retried at the next resync'), {
      what: 'the failed podDeleted',
    });
    harness.kube.informers.pods.resync();
    await waitFor(() => harness.pods.calls.some((c) => c.op === 'deleted' && c.pod.name === 'p1'), {
      what: 'podDeleted of p1 on resync',
    });
    expect(harness.kube.informers.pods.restartCount).toBeGreaterThanOrEqual(1);
  });
});
