/** Node sync: Nodes from the fake apiserver -> NodeLifecycle, and Warning Events for nodes it cannot serve. */

import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_NODE_REASON } from './node-sync.js';
import { type Harness, instanceIdFor, makeNode, startHarness, waitFor } from './testing.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('NodeSync', () => {
  it('hands a node to nodeAppeared with its instance, zone and labels, and its deletion to nodeDeleted', async () => {
    const harness = await startHarness((api) => api.create('nodes', makeNode('10.0.0.12', { zone: 'ap-guangzhou-3' })));
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.nodes.calls.length === 1, { what: 'nodeAppeared' });
    expect(harness.nodes.calls[0]).toEqual({
      op: 'appeared',
      name: '10.0.0.12',
      facts: {
        instanceId: instanceIdFor('10.0.0.12'),
        zone: 'ap-guangzhou-3',
        labels: expect.objectContaining({ 'topology.kubernetes.io/zone': 'ap-guangzhou-3' }),
      },
    });

    // A status-only change calls nothing; a label change calls again; deletion calls nodeDeleted.
    harness.api.patch('nodes', '10.0.0.12', { status: { capacity: { cpu: '8' } } }, { status: true });
    harness.api.patch('nodes', '10.0.0.12', { metadata: { labels: { pool: 'eni' } } });
    harness.api.delete('nodes', '10.0.0.12');
    await waitFor(() => harness.nodes.calls.some((c) => c.op === 'deleted'), { what: 'nodeDeleted' });
    await harness.kube.idle();
    expect(harness.nodes.calls.map((c) => c.op)).toEqual(['appeared', 'appeared', 'deleted']);
    expect(harness.nodes.calls[1]).toMatchObject({ facts: { labels: { pool: 'eni' } } });
  });

  it.each([
    {
      what: 'a providerID of another cloud',
      providerID: 'aws:///us-east-1a/i-0abc',
      says: 'is not qcloud:///<zone>/<ins-id>',
    },
    {
      what: 'a malformed instance id',
      providerID: 'qcloud:///ap-guangzhou-3/ins-BAD',
      says: 'is not a CVM instance id',
    },
    { what: 'no providerID', providerID: '', says: 'no spec.providerID' },
  ])('$what: a Warning Event on the node saying why, and no call', async ({ providerID, says }) => {
    const harness = await startHarness((api) => {
      const node = makeNode('bad', { zone: 'ap-guangzhou-3', providerID });
      api.create('nodes', providerID ? node : { ...node, spec: {} });
      api.create('nodes', makeNode('good', { zone: 'ap-guangzhou-3' }));
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.events('default', INVALID_NODE_REASON).length === 1, { what: 'the Warning' });
    const [event] = harness.events('default', INVALID_NODE_REASON);
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Node', name: 'bad' },
      count: 1,
      source: { component: 'eni-ipamd' },
    });
    expect(event?.message).toContain(says);
    await waitFor(() => harness.nodes.calls.length === 1, { what: 'the good node' });
    await harness.kube.idle();
    expect(harness.nodes.calls.map((c) => c.name)).toEqual(['good']);

    // Fixed, the node is served.
    harness.api.patch('nodes', 'bad', { spec: { providerID: 'qcloud:///ap-guangzhou-3/ins-fixed001' } });
    await waitFor(() => harness.nodes.calls.some((c) => c.name === 'bad'), { what: 'the fixed node' });
  });

  it('a failed nodeAppeared is retried at the next resync', async () => {
    const harness = await startHarness();
    h = harness;
    await harness.kube.ready;
    harness.nodes.failNext = 1;
    harness.api.create('nodes', makeNode('n1', { zone: 'z1' }));
    await waitFor(() => harness.logs.some((l) => l.msg === 'nodeAppeared failed; retried at the next resync'), {
      what: 'the failure',
    });
    expect(harness.nodes.calls).toEqual([]);
    harness.kube.informers.nodes.resync();
    await waitFor(() => harness.nodes.calls.length === 1, { what: 'the retry' });
    // A resync with nothing changed calls nothing more.
    harness.kube.informers.nodes.resync();
    await harness.kube.idle();
    expect(harness.nodes.calls).toHaveLength(1);
  });

  it('a node deleted while the watch was failing is reported after the relist (forced 410)', async () => {
    const harness = await startHarness((api) => {
      for (const n of ['a', 'b']) api.create('nodes', makeNode(n, { zone: 'z1' }));
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.nodes.calls.length === 2, { what: 'both nodes' });
    const fault = harness.api.injectFault({
      resource: 'nodes',
      watch: true,
      code: 500,
      times: Number.POSITIVE_INFINITY,
    });
    await waitFor(() => harness.api.openWatchCount('nodes') === 1, { what: 'the open watch' });
    harness.api.closeWatches('nodes');
    await waitFor(() => fault.hits >= 1, { what: 'a failing watch' });
    harness.api.delete('nodes', 'a');
    harness.api.compact();
    fault.remove();
    await waitFor(() => harness.nodes.calls.some((c) => c.op === 'deleted' && c.name === 'a'), {
      what: 'nodeDeleted after the relist',
    });
  });
});
