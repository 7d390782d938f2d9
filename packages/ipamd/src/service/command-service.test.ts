import { TEST_VPC } from '@eni-ipam/cloud/testing';
import {
  defaultClusterConfig,
  type EventStore,
  IpamError,
  ManualClock,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '@eni-ipam/core';
import { InMemoryEventStore, nextEvents } from '@eni-ipam/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeVpc } from '../testing/fake-vpc.js';
import { setUpCluster, startCore } from '../testing/service-fixture.js';
import { CommandService } from './command-service.js';
import type { IpamdCore } from './ipamd-core.js';
import { ProjectionHost } from './projection-host.js';

/** A store whose subscribers receive nothing until `open()`: a replica lagging behind the log. */
const gated = (inner: InMemoryEventStore) => {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    subscribe: (from: number, handler: (b: readonly RecordedEvent[]) => Promise<void> | void) =>
      inner.subscribe(from, async (b) => {
        await gate;
        await handler(b);
      }),
  });
  return { store, open };
};

const config = (min: number) => ({ ...defaultClusterConfig(TEST_VPC, []), preBind: { min, max: min } });
const change = (min: number) => ({ type: 'ChangeConfig' as const, config: config(min), source: `test-${min}` });

describe('CommandService and ProjectionHost', () => {
  const hosts: ProjectionHost[] = [];
  const cores: IpamdCore[] = [];
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    for (const c of cores.splice(0)) await c.stop();
  });
  const hostOn = async (store: EventStore, o: Partial<ConstructorParameters<typeof ProjectionHost>[0]> = {}) => {
    const h = new ProjectionHost({ store, ...o });
    hosts.push(h);
    await h.start();
    return h;
  };
  const setup = async () => {
    const store = new InMemoryEventStore();
    const fence = store.grantLeadership('leader');
    const host = await hostOn(store);
    const svc = new CommandService({
      store,
      host,
      clock: new ManualClock(),
      writer: { replica: 'r1', term: 0 },
      fence: () => fence,
    });
    return { store, fence, host, svc };
  };

  it('given a lagging projection, a conflicting append is decided again on the newer state', async () => {
    const { store, fence, svc: fast } = await setup();
    const { store: lagging, open } = gated(store);
    const slowHost = await hostOn(lagging);
    const slow = new CommandService({
      store: lagging,
      host: slowHost,
      clock: new ManualClock(),
      writer: { replica: 'r2', term: 0 },
      fence: () => fence,
    });
    await fast.cluster(change(1));
    const pending = slow.cluster(change(2)); // decided at version 0: conflicts
    setTimeout(open, 10);
    const r = await pending;
    expect(r.appended).toBe(1);
    const log = await store.readStream('cluster');
    expect(log.map((e) => [e.seq, (e.data as { source: string }).source])).toEqual([
      [1, 'test-1'],
      [2, 'test-2'],
    ]);
    expect(log[1]?.by).toEqual({ replica: 'r2', term: fence.createRevision });
  });

  it('appends nothing for a repeated idempotent command, and reads its own writes', async () => {
    const { svc, host } = await setup();
    const first = await svc.cluster(change(3));
    expect(host.appliedRevision).toBe(first.revision);
    expect(host.projection.cluster.config?.preBind.min).toBe(3);
    const again = await svc.cluster(change(3));
    expect(again.appended).toBe(0);
  });

  it('refuses to write without leadership (NotLeader) and after it moved', async () => {
    const store = new InMemoryEventStore();
    const host = await hostOn(store);
    const base = { store, host, clock: new ManualClock(), writer: { replica: 'r', term: 0 } };
    const none = new CommandService({ ...base, fence: () => undefined });
    await expect(none.cluster(change(1))).rejects.toMatchObject({ code: 'NotLeader' });
    const fence = store.grantLeadership('k');
    store.revokeLeadership('k');
    const deposed = new CommandService({ ...base, fence: () => fence });
    await expect(deposed.cluster(change(1))).rejects.toMatchObject({ code: 'NotLeader' });
    expect(await store.streamVersion('cluster')).toBe(0);
  });

  it('a new host starts from the snapshot and replays only what follows it', async () => {
    const { store, svc, host } = await setup();
    await svc.cluster(change(1));
    await host.saveSnapshot();
    await svc.cluster(change(2));
    const reads: number[] = [];
    const spy: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: (from: number, limit?: number) => {
        reads.push(from);
        return store.readAll(from, limit);
      },
    });
    const second = await hostOn(spy);
    expect(second.ready).toBe(true);
    expect(reads[0]).toBeGreaterThan(1);
    expect(second.projection).toEqual(host.projection);
  });

  it('stops on an event it cannot decode: not ready, waiters rejected, nothing skipped', async () => {
    const { store, host } = await setup();
    const waiting = host.waitFor(10_000);
    await store.append([nextEvents('cluster', 0)]);
    await expect(waiting).rejects.toMatchObject({ code: 'UnknownEventType' });
    expect(host.ready).toBe(false);
    expect(host.appliedRevision).toBe(0);
  });

  it('refuses to fold over a gap in a stream (archived events without a snapshot)', async () => {
    const { store, svc } = await setup();
    await svc.cluster(change(1));
    await svc.cluster(change(2));
    const holed: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: async (from: number, limit?: number) => {
        const page = await store.readAll(from, limit);
        return { ...page, events: page.events.filter((e) => e.seq !== 1) };
      },
    });
    const h = new ProjectionHost({ store: holed });
    await expect(h.start()).rejects.toMatchObject({ code: 'CorruptLog' });
  });

  it('jumps to a covering snapshot when events it has not read were archived, else stops', async () => {
    const { store, svc, host } = await setup();
    await svc.cluster(change(1));
    await svc.cluster(change(2));
    const archivedUpTo = host.appliedRevision;
    const behind = (withSnapshot: boolean) => {
      let loads = 0;
      const resumed: number[] = [];
      const wrapped: EventStore = Object.assign(Object.create(store) as EventStore, {
        // at start: no snapshot yet, and the live log holds nothing (all archived)
        loadSnapshot: async (name: string) => (loads++ === 0 || !withSnapshot ? undefined : store.loadSnapshot(name)),
        readAll: async (from: number) => ({ events: [], nextRevision: from, more: false }),
        subscribe: (
          from: number,
          _handler: (b: readonly RecordedEvent[]) => Promise<void> | void,
          o?: SubscribeOptions,
        ): Subscription => {
          const done = (async () => {
            const next = (await o?.onCompacted?.(archivedUpTo + 1)) ?? from;
            resumed.push(next);
          })();
          return { done, close: async () => undefined };
        },
      });
      return { wrapped, resumed };
    };
    await host.saveSnapshot();
    const ok = behind(true);
    const h1 = await hostOn(ok.wrapped);
    await h1.waitFor(archivedUpTo);
    expect(h1.projection).toEqual(host.projection);
    await new Promise((r) => setImmediate(r)); // the subscription continues after the jump
    expect(ok.resumed).toEqual([archivedUpTo + 1]);
    const bad = behind(false);
    const h2 = await hostOn(bad.wrapped);
    await expect(h2.waitFor(archivedUpTo)).rejects.toMatchObject({ code: 'RevisionCompacted' });
  });

  it('given a contended subnet stream, a pod allocation batched with a bind still succeeds, and the bind gets through', async () => {
    const store = new InMemoryEventStore();
    let conflicts = 20; // appends that touch the subnet stream lose this many races in a row
    let holdNode: Promise<void> | undefined;
    const contended: EventStore = Object.assign(Object.create(store) as EventStore, {
      append: async (appends: Parameters<EventStore['append']>[0], o: Parameters<EventStore['append']>[1]) => {
        if (holdNode && appends.every((a) => a.stream.startsWith('node/'))) await holdNode;
        if (conflicts > 0 && appends.some((a) => a.stream.startsWith('subnet/'))) {
          conflicts--;
          throw new IpamError('StreamVersionConflict', 'another node bound first');
        }
        return store.append(appends, o);
      },
    });
    const vpc = new FakeVpc();
    const saved = conflicts;
    conflicts = 0;
    const core = await startCore({ store: contended, vpc, fence: store.grantLeadership('leader') });
    cores.push(core);
    await setUpCluster(core, vpc, 1);
    await core.host.waitUntil(
      () => Object.values(core.host.node('node-0').enis).some((e) => Object.keys(e.ips).length >= 2),
      5_000,
    );
    await core.settle();
    await core.reconciler.stop();
    const eniId = Object.keys(core.host.node('node-0').enis)[0] ?? '';
    conflicts = saved;
    let release!: () => void;
    holdNode = new Promise<void>((r) => {
      release = r;
    });
    const pod = (name: string) => ({ namespace: 'd', name });
    const first = core.commands.node({ type: 'AllocateIp', node: 'node-0', pod: pod('a'), containerId: 'k0' });
    await new Promise((r) => setImmediate(r)); // k0's batch is in flight, held
    const bind = core.commands.node({ type: 'BindIps', node: 'node-0', eniId, count: 1, why: 'test' });
    const alloc = core.commands.node({ type: 'AllocateIp', node: 'node-0', pod: pod('b'), containerId: 'k1' });
    holdNode = undefined;
    release();
    await first;
    await alloc; // batched with the bind: it must not fail for the bind's conflicts
    expect(core.host.node('node-0').allocations.k1).toBeDefined();
    expect((await bind).appended).toBeGreaterThan(0);
    expect(conflicts).toBe(0);
  });

  it('given etcd unavailable at start (a member cut off), the host tries its reads again and becomes ready', async () => {
    const { store, svc } = await setup();
    await svc.cluster(change(1));
    let failures = 3;
    const flaky: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: (from: number, limit?: number) => {
        if (failures-- > 0) return Promise.reject(new IpamError('StoreUnavailable', 'read log: 4 DEADLINE_EXCEEDED'));
        return store.readAll(from, limit);
      },
    });
    const said: string[] = [];
    const host = await hostOn(flaky, { onUnavailable: (what) => said.push(what) });
    expect(host.ready).toBe(true);
    expect(host.appliedRevision).toBeGreaterThan(0);
    expect(said).toEqual(Array(3).fill('read the log from revision 1'));
  });
});
