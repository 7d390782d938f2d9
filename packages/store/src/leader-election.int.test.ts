import { IpamError, isIpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdClient } from './etcd-client.js';
import { EtcdEventStore } from './etcd-event-store.js';
import { LeaderElection } from './leader-election.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';
import { nextEvents } from './testing/index.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof IpamError ? e.code : String(e)),
  );

describe('LeaderElection and fencing on real etcd', () => {
  let etcd: EtcdCluster;
  let store: EtcdEventStore;
  const prefix = '/t/elect';
  beforeAll(async () => {
    etcd = await startEtcd();
    store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints }, prefix });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.cleanup();
  }, 150_000);

  it('after leadership moves (resign), the old leader append fails atomically with NotLeader and writes nothing', async () => {
    const a = new LeaderElection({ client: store.client, prefix, candidate: 'a', election: 'resign', ttlSeconds: 3 });
    const b = new LeaderElection({ client: store.client, prefix, candidate: 'b', election: 'resign', ttlSeconds: 3 });
    const seenLeaders: (string | undefined)[] = [];
    const stopObserving = b.observe((l) => seenLeaders.push(l?.candidate), 50);
    const tokenA = await a.campaign();
    const bElected = b.campaign();
    expect((await a.leader())?.candidate).toBe('a');
    const s1 = 'node/fenced-1';
    const s2 = 'node/fenced-2';
    await store.append([nextEvents(s1, 0)], { fence: a.fencingToken() });
    const sawA = Date.now() + 5000;
    while (!seenLeaders.includes('a') && Date.now() < sawA) await new Promise((r) => setTimeout(r, 20));
    await a.resign();
    const tokenB = await bElected;
    expect(tokenB.createRevision).toBeGreaterThan(tokenA.createRevision);
    const sawB = Date.now() + 5000;
    while (seenLeaders.at(-1) !== 'b' && Date.now() < sawB) await new Promise((r) => setTimeout(r, 20));
    stopObserving();
    expect(seenLeaders.filter((c) => c !== undefined)).toEqual(['a', 'b']);
    expect((await b.leader())?.candidate).toBe('b');
    // a two-stream append under the old token: neither stream moves
    expect(await codeOf(store.append([nextEvents(s1, 1), nextEvents(s2, 0)], { fence: tokenA }))).toBe('NotLeader');
    expect(await store.streamVersion(s1)).toBe(1);
    expect(await store.streamVersion(s2)).toBe(0);
    expect(() => a.fencingToken()).toThrowError(IpamError);
    expect(await codeOf(store.append([nextEvents(s1, 1)], { fence: b.fencingToken() }))).toBe('ok');
    await a.resign(); // resigning when not leader succeeds
    await b.resign();
  }, 150_000);

  it('a killed leader (its process gone, lease expires) is replaced and its token fences it out', async () => {
    const deadClient = createEtcdClient({ endpoints: etcd.endpoints });
    const a = new LeaderElection({ client: deadClient, prefix, candidate: 'a', election: 'kill', ttlSeconds: 2 });
    const b = new LeaderElection({ client: store.client, prefix, candidate: 'b', election: 'kill', ttlSeconds: 2 });
    const tokenA = await a.campaign();
    const bElected = b.campaign();
    // the process dies: no resign, its connection is gone, so no keepalive reaches etcd
    deadClient.close();
    const tokenB = await bElected;
    expect(tokenB.key).not.toBe(tokenA.key);
    expect(await codeOf(store.append([nextEvents('node/killed', 0)], { fence: tokenA }))).toBe('NotLeader');
    expect(await store.streamVersion('node/killed')).toBe(0);
    await b.resign();
    expect(a.state).toBe('lost');
  }, 150_000);

  it('detects its own loss promptly when etcd stops answering, well before 2xTTL', async () => {
    const el = new LeaderElection({ client: store.client, prefix, candidate: 'p', election: 'prompt', ttlSeconds: 6 });
    await el.campaign();
    let lostAt = 0;
    el.onLost(() => {
      lostAt = Date.now();
    });
    const frozenAt = Date.now();
    etcd.member(0).pause();
    try {
      while (lostAt === 0 && Date.now() - frozenAt < 12_000) await new Promise((r) => setTimeout(r, 50));
    } finally {
      etcd.member(0).cont();
    }
    expect(lostAt).toBeGreaterThan(0);
    // the server expires the lease TTL after the last keepalive it received; we give up before that
    // (etcd3's own 'lost' event would come only after 2xTTL = 12 s)
    expect(lostAt - frozenAt).toBeLessThan(6000);
    expect(el.state).toBe('lost');
    let refused: unknown;
    try {
      el.fencingToken();
    } catch (e) {
      refused = e;
    }
    expect(isIpamError(refused, 'NotLeader')).toBe(true);
  }, 150_000);

  it('assertLeading refuses at once after the process was paused past its lease, before any timer ran', async () => {
    const el = new LeaderElection({ client: store.client, prefix, candidate: 'z', election: 'paused', ttlSeconds: 2 });
    await el.campaign();
    el.assertLeading(); // leading: no throw
    // a paused process: nothing runs for longer than the lease (the watchdog cannot fire)
    const until = Date.now() + 1_700;
    while (Date.now() < until) {
      // busy: the event loop is blocked, as after SIGSTOP/SIGCONT
    }
    expect(el.state).toBe('leader'); // the timers have not noticed yet
    let refused: unknown;
    try {
      el.assertLeading();
    } catch (e) {
      refused = e;
    }
    expect(isIpamError(refused, 'NotLeader')).toBe(true);
    expect(el.state).toBe('lost');
  }, 60_000);
});
