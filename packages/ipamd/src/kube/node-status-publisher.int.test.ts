/**
 * NodeStatusPublisher against the fake apiserver: JSON patches of /status, re-assertion after the
 * kubelet-style zeroing or removal, coalescing, retries after 409 and 500.
 */

import type { V1Node } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, makeNode, startHarness, waitFor } from './testing.js';

const ENI_IP = 'tke.cloud.tencent.com/eni-ip';
const DIRECT = 'tke.cloud.tencent.com/direct-eni';
const amounts = (eniIp: number, bound: number) => ({
  [ENI_IP]: { capacity: eniIp, allocatable: bound },
  [DIRECT]: { capacity: 3, allocatable: 0 },
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const statusOf = (harness: Harness, node: string) => harness.api.get<V1Node>('nodes', node).status;
const shows = (harness: Harness, node: string, capacity: string, allocatable: string) => {
  const s = statusOf(harness, node);
  return s?.capacity?.[ENI_IP] === capacity && s?.allocatable?.[ENI_IP] === allocatable;
};
const statusPatches = (harness: Harness, node: string) =>
  harness.api.requests.filter((r) => r.method === 'PATCH' && r.path === `/api/v1/nodes/${node}/status`);

describe('NodeStatusPublisher', () => {
  it('advertises the extended resources of a node as it appears, with json-patch on /status', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('n1', { zone: 'z1' })));
    h = harness;
    harness.resources.set('n1', amounts(20, 5));
    await harness.kube.ready;
    await waitFor(() => shows(harness, 'n1', '20', '5'), { what: 'the resources' });
    expect(statusOf(harness, 'n1')).toMatchObject({
      capacity: { cpu: '4', [DIRECT]: '3' },
      allocatable: { cpu: '4', [DIRECT]: '0' },
    });
    expect(statusPatches(harness, 'n1')[0]?.contentType).toContain('application/json-patch+json');
  });

  it('re-asserts the values when the node shows them zeroed or removed', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('n1', { zone: 'z1' })));
    h = harness;
    harness.resources.set('n1', amounts(20, 5));
    await harness.kube.ready;
    await waitFor(() => shows(harness, 'n1', '20', '5'), { what: 'the resources' });

    // What the kubelet does when it thinks the node was recreated.
    harness.api.patch(
      'nodes',
      'n1',
      { status: { capacity: { [ENI_IP]: '0' }, allocatable: { [ENI_IP]: '0' } } },
      { status: true },
    );
    await waitFor(() => shows(harness, 'n1', '20', '5'), { what: 'the re-assertion after zeroing' });

    harness.api.patch(
      'nodes',
      'n1',
      [
        { op: 'remove', path: '/status/capacity/tke.cloud.tencent.com~1eni-ip' },
        { op: 'remove', path: '/status/allocatable/tke.cloud.tencent.com~1eni-ip' },
      ],
      { status: true, type: 'json' },
    );
    await waitFor(() => shows(harness, 'n1', '20', '5'), { what: 'the re-assertion after removal' });
  });

  it('coalesces rapid updates: few patches, the last value wins', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('n1', { zone: 'z1' })), {
      statusIntervalMs: 400,
    });
    h = harness;
    await harness.kube.ready;
    for (let bound = 1; bound <= 50; bound++) {
      harness.resources.set('n1', amounts(20, bound));
      harness.kube.nodeStatus.publish('n1');
    }
    await waitFor(() => shows(harness, 'n1', '20', '50'), { what: 'the last value' });
    // 50 requests within one interval: the first goes at once, the rest become one trailing patch.
    expect(statusPatches(harness, 'n1').length).toBeLessThanOrEqual(3);
    expect(harness.kube.nodeStatus.patchCount).toBe(statusPatches(harness, 'n1').length);
  });

  it('coalesces updates spread over time: at most one patch per interval, fewer patches than updates', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('n1', { zone: 'z1' })), {
      statusIntervalMs: 400,
    });
    h = harness;
    await harness.kube.ready;
    const updates = 20;
    for (let bound = 1; bound <= updates; bound++) {
      harness.resources.set('n1', amounts(20, bound));
      harness.kube.nodeStatus.publish('n1');
      await new Promise((r) => setTimeout(r, 25));
    }
    await waitFor(() => shows(harness, 'n1', '20', String(updates)), { what: 'the last value' });
    expect(statusPatches(harness, 'n1').length).toBeLessThan(updates / 2);
  });

  it('retries after 409 Conflict and 500 with backoff until the patch lands', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('n1', { zone: 'z1' })));
    h = harness;
    const conflict = harness.api.injectFault({
      method: 'PATCH',
      resource: 'nodes',
      subresource: 'status',
      code: 409,
      times: 2,
    });
    await harness.kube.ready;
    harness.resources.set('n1', amounts(10, 2));
    harness.kube.nodeStatus.publish('n1');
    await waitFor(() => shows(harness, 'n1', '10', '2'), { what: 'the patch after two conflicts' });
    expect(conflict.hits).toBe(2);

    const broken = harness.api.injectFault({ method: 'PATCH', resource: 'nodes', subresource: 'status', code: 500 });
    harness.resources.set('n1', amounts(10, 3));
    harness.kube.nodeStatus.publish('n1');
    await waitFor(() => shows(harness, 'n1', '10', '3'), { what: 'the patch after a 500' });
    expect(broken.hits).toBe(1);
    expect(harness.logs.filter((l) => l.msg === 'node status patch failed')).toHaveLength(3);
  });

  it('a node without values is left alone, and a deleted node is forgotten', async () => {
    const harness = await startHarness((api) => {
      api.create('nodes', makeNode('mine', { zone: 'z1' }));
      api.create('nodes', makeNode('other', { zone: 'z1' }));
    });
    h = harness;
    harness.resources.set('mine', amounts(4, 1));
    await harness.kube.ready;
    await waitFor(() => shows(harness, 'mine', '4', '1'), { what: 'mine' });
    expect(statusPatches(harness, 'other')).toEqual([]);
    harness.api.delete('nodes', 'mine');
    await waitFor(() => harness.kube.informers.nodes.get('mine') === undefined, { what: 'the deletion' });
    harness.kube.nodeStatus.publish('mine');
    await waitFor(() => harness.logs.some((l) => l.msg === 'node gone; its status is no longer published'), {
      what: 'the 404',
    });
  });
});
