import { decodeRecorded, project } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { buildAuditIndex } from '../ipamctl/commands/history.js';
import { loadHistory } from '../ipamctl/commands/load.js';
import { appendsOf, Churn } from '../ipamctl/testing/churn.js';
import { ProjectionHost } from './projection-host.js';

/** Pods churning on two nodes: a log with many holds per address, binds and ENI life. */
const churnLog = () => {
  const c = new Churn({}, ['node-a', 'node-b']);
  for (let i = 0; i < 40; i++) {
    const node = i % 2 ? 'node-a' : 'node-b';
    c.add(node, `p${i}`);
    c.sim.now += 30_000;
    if (i >= 3) c.remove(i % 2 ? 'node-b' : 'node-a', `p${i - 3}`);
  }
  return appendsOf(c.sim.log);
};

/** The first half of the churn log in a store, with a snapshot taken at its end. */
const snapshotMidLog = async () => {
  const appends = churnLog();
  const store = new InMemoryEventStore();
  const half = Math.floor(appends.length / 2);
  for (const a of appends.slice(0, half)) await store.append(a);
  const first = new ProjectionHost({ store, snapshotEvery: 0 });
  await first.start();
  await first.saveSnapshot();
  await first.stop();
  return { appends, store, half };
};

describe('projection host: the live audit index', () => {
  it('given a snapshot taken mid-log, when a host starts from it and the log goes on, then its audit index equals the replay of the whole log', async () => {
    const { appends, store, half } = await snapshotMidLog();

    const host = new ProjectionHost({ store, snapshotEvery: 0 });
    await host.start();
    for (const a of appends.slice(half)) await store.append(a);
    const head = await store.headRevision();
    await host.waitFor(head);
    await host.waitForAudit();

    const replay = buildAuditIndex(await loadHistory(store));
    expect(Object.keys(replay.ipHolders).length).toBeGreaterThan(3);
    expect(host.auditReady).toBe(true);
    expect(JSON.parse(JSON.stringify(host.audit))).toEqual(JSON.parse(JSON.stringify(replay)));
    await host.stop();
  });

  it('without a snapshot the index is complete as soon as the host is caught up', async () => {
    const store = new InMemoryEventStore();
    for (const a of churnLog()) await store.append(a);
    const host = new ProjectionHost({ store, snapshotEvery: 0 });
    await host.start();
    expect(host.auditReady).toBe(true);
    expect(host.audit).toEqual(buildAuditIndex(await loadHistory(store)));
    await host.stop();
  });

  it('given a snapshot, when a host starts from it, then its states are compacted in the background while the log goes on, and equal the replay', async () => {
    const { appends, store, half } = await snapshotMidLog();

    const host = new ProjectionHost({ store, snapshotEvery: 0, audit: false });
    await host.start();
    const loaded = host.projection.nodes['node-a'];
    expect(Object.getPrototypeOf(loaded?.allocations)).not.toBeNull(); // as parsed
    // an append lands while the compaction runs (it starts after a yield to the event loop)
    const rest = appends.slice(half);
    await store.append(rest[0] as (typeof rest)[number]);
    await host.waitForCompaction();
    for (const n of Object.values(host.projection.nodes)) expect(Object.getPrototypeOf(n.allocations)).toBeNull();
    for (const a of rest.slice(1)) await store.append(a);
    await host.waitFor(await store.headRevision());
    const replay = project((await store.readAll(1, 1_000_000)).events.map((e) => decodeRecorded(e)));
    expect(JSON.stringify(host.projection)).toBe(JSON.stringify(replay));
    await host.stop();
  });
});
