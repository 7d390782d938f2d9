import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { IpamdMetrics } from '../observability/metrics.js';
import type { IpamdCore } from '../service/ipamd-core.js';
import { FakeVpc } from '../testing/fake-vpc.js';
import { setUpCluster, startCore } from '../testing/service-fixture.js';
import { recordProjectionMetrics } from './metrics-wiring.js';

const gauge = async (metrics: IpamdMetrics, node: string) => {
  const v = await metrics.poolAllocated.get();
  return v.values.find((x) => x.labels.node === node && x.labels.mode === 'shared')?.value;
};

describe('recordProjectionMetrics: pool gauges follow the log, coalesced', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const warm = async (nodes: number) => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core: IpamdCore = await startCore({ store, vpc, fence: store.grantLeadership('l') });
    cleanups.push(() => core.stop());
    await setUpCluster(core, vpc, nodes);
    await core.settle();
    const metrics = new IpamdMetrics();
    const stop = recordProjectionMetrics(core.host, store, metrics, 60_000, 5);
    cleanups.push(stop);
    const allocate = (node: string, containerId: string) =>
      core.commands.node({ type: 'AllocateIp', node, pod: { namespace: 'd', name: containerId }, containerId });
    return { core, metrics, allocate };
  };

  it('given a warm cluster, when pods land on several nodes in a burst, each node gauge ends at its count', async () => {
    const { metrics, allocate } = await warm(3);
    expect(await gauge(metrics, 'node-0')).toBe(0);
    await Promise.all([allocate('node-0', 'a'), allocate('node-0', 'b'), allocate('node-1', 'c')]);
    await expect.poll(() => gauge(metrics, 'node-0')).toBe(2);
    await expect.poll(() => gauge(metrics, 'node-1')).toBe(1);
    expect(await gauge(metrics, 'node-2')).toBe(0);
  });

  it('given a flush already done, a later change is flushed too (the window starts again)', async () => {
    const { metrics, allocate } = await warm(2);
    await allocate('node-0', 'a');
    await expect.poll(() => gauge(metrics, 'node-0')).toBe(1);
    await allocate('node-1', 'b');
    await allocate('node-0', 'c');
    await expect.poll(() => gauge(metrics, 'node-1')).toBe(1);
    await expect.poll(() => gauge(metrics, 'node-0')).toBe(2);
  });

  it('once stopped, it records nothing more', async () => {
    const { metrics, allocate } = await warm(1);
    cleanups.pop()?.();
    await allocate('node-0', 'a');
    await new Promise((r) => setTimeout(r, 30));
    expect(await gauge(metrics, 'node-0')).toBe(0);
  });
});
