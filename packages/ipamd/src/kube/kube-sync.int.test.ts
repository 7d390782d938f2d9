/** startKubeSync wired end to end against the fake apiserver: ready, the three syncs, node status, stop. */
import type { V1Node } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, makeNode, makePod, startHarness, waitFor } from './testing.js';

const ENI_IP = 'tke.cloud.tencent.com/eni-ip';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('startKubeSync', () => {
  it('is ready after the three lists, drives every port, publishes node status, and stops cleanly', async () => {
    const harness = await startHarness((api) => {
      api.create('nodes', makeNode('n1', { zone: 'ap-guangzhou-3' }));
      api.create('pods', makePod('default', 'web-0', { node: 'n1', ownerStatefulSet: 'web' }));
      api.create('configmaps', {
        metadata: { name: 'tke-eni-ipamd', namespace: 'kube-system' },
        data: { TKE_ENI_IPAMD_SUBNET_ID: 'subnet-aaaa1111', TKE_ENI_IPAMD_VPC_ID: 'vpc-a1b2c3d4' },
      });
    });
    h = harness;
    harness.resources.set('n1', { [ENI_IP]: { capacity: 12, allocatable: 6 } });
    await harness.kube.ready;
    await waitFor(
      () =>
        harness.nodes.calls.length === 1 &&
        harness.pods.calls.length === 1 &&
        harness.sink.applied.length === 1 &&
        harness.api.get<V1Node>('nodes', 'n1').status?.capacity?.[ENI_IP] === '12',
      { what: 'every port and the node status' },
    );
    expect(harness.api.openWatchCount()).toBe(3);

    await harness.kube.stop();
    await waitFor(() => harness.api.openWatchCount() === 0, { what: 'the watches to end' });
    harness.api.create('nodes', makeNode('n2', { zone: 'ap-guangzhou-3' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(harness.nodes.calls).toHaveLength(1);
    expect(harness.logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });
});
