import type { EventStore, Snapshot } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { appendsOf, Churn } from '../ipamctl/testing/churn.js';
import { ProjectionHost } from './projection-host.js';

/** Pods churning on two nodes, as appends: 12 events per period of `EVERY` below, many periods. */
const churnLog = () => {
  const c = new Churn({}, ['node-a', 'node-b']);
  for (let i = 0; i < 40; i++) {
    c.add(i % 2 ? 'node-a' : 'node-b', `p${i}`);
    if (i >= 3) c.remove(i % 2 ? 'node-b' : 'node-a', `p${i - 3}`);
  }
  return appendsOf(c.sim.log);
};
const EVERY = 12;

/** The store as one replica sees it, counting that replica's snapshot saves. */
const counted = (store: EventStore) => {
  const saves: number[] = [];
  const view = new Proxy(store, {
    get: (target, prop, receiver) => {
      if (prop === 'saveSnapshot')
        return async (s: Snapshot) => {
          saves.push(s.revision);
          await target.saveSnapshot(s);
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { view, saves };
};

const settle = async (store: InMemoryEventStore, ...hosts: ProjectionHost[]) => {
  const head = await store.headRevision();
  for (const h of hosts) await h.waitFor(head);
  await new Promise((r) => setTimeout(r, 20)); // the periodic saves and stamp reads run after the batch
};

describe('projection host: periodic snapshots while leading', () => {
  it('given a follower saving snapshots, when the leader reaches its periods, then it leaves them to the follower; alone, it saves again after two quiet periods', async () => {
    const appends = churnLog();
    const store = new InMemoryEventStore();
    const leaderStore = counted(store);
    const followerStore = counted(store);
    const leader = new ProjectionHost({ store: leaderStore.view, snapshotEvery: EVERY, leading: () => true });
    const follower = new ProjectionHost({ store: followerStore.view, snapshotEvery: EVERY });
    await leader.start();
    await follower.start();

    const third = Math.floor(appends.length / 3);
    for (const a of appends.slice(0, 2 * third)) {
      await store.append(a);
      await settle(store, leader, follower);
    }
    expect(followerStore.saves.length).toBeGreaterThanOrEqual(3);
    expect(leaderStore.saves).toEqual([]);

    // the follower goes away: the leader saves once two of its periods pass with no save
    await follower.stop();
    for (const a of appends.slice(2 * third)) {
      await store.append(a);
      await settle(store, leader);
    }
    expect(leaderStore.saves.length).toBeGreaterThanOrEqual(1);
    const snap = await store.loadSnapshot('ipamd-projection');
    expect(snap?.revision).toBe(leaderStore.saves.at(-1));
    await leader.stop();
  });

  it('a replica that does not lead saves every period, as before', async () => {
    const store = new InMemoryEventStore();
    const { view, saves } = counted(store);
    const host = new ProjectionHost({ store: view, snapshotEvery: EVERY, leading: () => false });
    await host.start();
    for (const a of churnLog()) {
      await store.append(a);
      await settle(store, host);
    }
    const events = (await store.readAll(1, 1_000_000)).events.length;
    expect(saves.length).toBeGreaterThanOrEqual(Math.floor(events / EVERY) - 1);
    await host.stop();
  });
});
