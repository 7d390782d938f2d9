import { decodeRecorded, type Projection, project, type Snapshot } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { appendsOf, Churn } from '../ipamctl/testing/churn.js';
import { ProjectionHost } from './projection-host.js';

/** Pods churning on two nodes (binds, unbinds, allocations, releases), as appends. */
const churnLog = () => {
  const c = new Churn({}, ['node-a', 'node-b']);
  for (let i = 0; i < 30; i++) {
    c.add(i % 2 ? 'node-a' : 'node-b', `p${i}`);
    c.sim.now += 30_000;
    if (i >= 3) c.remove(i % 2 ? 'node-b' : 'node-a', `p${i - 3}`);
  }
  return appendsOf(c.sim.log);
};

const replayOf = async (store: InMemoryEventStore, upTo?: number): Promise<Projection> => {
  const { events } = await store.readAll(1, 1_000_000);
  return project(events.filter((e) => upTo === undefined || e.revision <= upTo).map((e) => decodeRecorded(e)));
};

/** A store whose snapshot saves wait for `release()`, then serialize what they were given (as the sliced save does). */
class SlowSnapshots extends InMemoryEventStore {
  private gate: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((r) => {
      this.release = r;
    });
  }
  override async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await this.gate;
    await super.saveSnapshot(JSON.parse(JSON.stringify(snapshot)) as Snapshot);
  }
}

/**
 * The first half of the churn log in `store`, a host caught up on it, then a few batches more (so
 * the host owns its maps and changes them in place). Returns the host and the appends left.
 */
const hostMidLog = async (store: InMemoryEventStore) => {
  const appends = churnLog();
  const half = Math.floor(appends.length / 2);
  for (const a of appends.slice(0, half)) await store.append(a);
  const host = new ProjectionHost({ store, snapshotEvery: 0 });
  await host.start();
  for (const a of appends.slice(half, half + 3)) await store.append(a);
  await host.waitFor(await store.headRevision());
  return { host, rest: appends.slice(half + 3) };
};

describe('projection host: maps changed in place, projections handed out stay still', () => {
  it('given a stable projection taken mid-log, when the log goes on, then it is unchanged and the live one equals the replay', async () => {
    const store = new InMemoryEventStore();
    const { host, rest } = await hostMidLog(store);

    const stable = host.stableProjection();
    const json = JSON.stringify(stable);
    expect(stable).toEqual(await replayOf(store));
    for (const a of rest) await store.append(a);
    await host.waitFor(await store.headRevision());

    expect(JSON.stringify(stable)).toBe(json);
    expect(host.projection).toEqual(await replayOf(store));
    expect(Object.keys(host.projection.subnets).length).toBeGreaterThan(0); // binds touched subnet maps too
    await host.stop();
  });

  it('given a snapshot save still under way, when events are applied meanwhile, then the saved snapshot is the projection at its revision', async () => {
    const store = new SlowSnapshots();
    const { host, rest } = await hostMidLog(store);

    store.hold();
    const saving = host.saveSnapshot();
    for (const a of rest) await store.append(a);
    await host.waitFor(await store.headRevision());
    store.release();
    await saving;

    const snap = await store.loadSnapshot<{ projection: Projection }>('ipamd-projection');
    expect(snap).toBeDefined();
    expect(snap?.revision).toBeLessThan(await store.headRevision());
    expect(snap?.state.projection).toEqual(JSON.parse(JSON.stringify(await replayOf(store, snap?.revision))));
    await host.stop();
  });
});
