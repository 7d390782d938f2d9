import type { Eni, Projection, Snapshot } from '@eni-ipam/core';
import { project } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { handOverScenario, writeLog } from '../testing/churn.js';
import { loadHistory } from './load.js';
import { takeSnapshot } from './maintenance.js';
import { compareCloud, PROJECTION_SNAPSHOT, verify } from './verify.js';

const clean = async () => {
  const s = handOverScenario();
  const store = new InMemoryEventStore();
  await writeLog(store, s.churn.sim.log);
  return { ...s, store };
};

/** Appends raw (no decider): another pod on the same address, as a buggy writer might. */
const plantDoubleHolding = async (store: InMemoryEventStore, ip: string, eniId: string) => {
  const stream = 'node/node-a';
  const seq = (await store.streamVersion(stream)) + 1;
  await store.append([
    {
      stream,
      expectedVersion: seq - 1,
      events: [
        {
          id: 'planted-1',
          stream,
          seq,
          type: 'IpAllocated',
          v: 1,
          at: '2026-01-02T00:00:00.000Z',
          by: { replica: 'rogue', term: 1 },
          cause: {},
          data: { pod: { namespace: 'default', name: 'intruder' }, containerId: 'kx', ip, eniId, why: 'planted' },
        },
      ],
    },
  ]);
};

describe('verify', () => {
  it('given a log made by the deciders, then no findings', async () => {
    const { store } = await clean();
    const r = await verify({ events: await loadHistory(store) });
    expect(r.findings).toEqual([]);
    expect(r.checked).toEqual({ invariants: true, snapshot: false, cloud: false });
  });

  it('given two pods on one IP appended raw, then invariant 1 is reported', async () => {
    const { store, ip, churn } = await clean();
    const eniId = Object.values(churn.state('node-a').allocations)[0]?.eniId as string;
    await plantDoubleHolding(store, ip, eniId);
    const r = await verify({ events: await loadHistory(store) });
    expect(r.findings).toEqual([
      expect.objectContaining({ invariant: 1, subject: `ip/${ip}`, message: expect.stringContaining('intruder') }),
    ]);
  });

  it('the snapshot saved by `snapshot` matches the replay; a later append does not make it differ', async () => {
    const { store, churn } = await clean();
    await takeSnapshot(store, await loadHistory(store));
    churn.add('node-a', 'p3');
    const snapshot = await store.loadSnapshot<Projection>(PROJECTION_SNAPSHOT);
    const r = await verify({ events: await loadHistory(store), ...(snapshot ? { snapshot } : {}) });
    expect(r.checked.snapshot).toBe(true);
    expect(r.findings).toEqual([]);
  });

  it('a live projection that differs from the replay is reported (invariant 5) with the path', async () => {
    const { store } = await clean();
    const events = await loadHistory(store);
    const state = project(events);
    const node = state.nodes['node-a'];
    if (!node) throw new Error('node-a missing');
    const tampered: Snapshot<Projection> = {
      name: PROJECTION_SNAPSHOT,
      seq: events.length,
      revision: state.revision,
      state: { ...state, nodes: { 'node-a': { ...node, allocations: {} } } },
    };
    const r = await verify({ events, snapshot: tampered });
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.every((f) => f.invariant === 5)).toBe(true);
    expect(r.findings[0]?.message).toMatch(/^nodes\.node-a\.allocations\.k\d+: replay has/);
    // the same projection served by a running ipamd (verify --ipamd): named as ipamd's
    const live = await verify({ events, live: { ...tampered, name: 'ipamd-live' } });
    expect(live.checked.live).toBe(true);
    expect(live.findings.map((f) => f.subject)).toContain(`snapshot/ipamd-live@${state.revision}`);
  });
});

describe('cloud comparison (invariant 4)', () => {
  const setup = async () => {
    const { store } = await clean();
    const p = project(await loadHistory(store));
    const n = p.nodes['node-a'];
    if (!n) throw new Error('node-a missing');
    const e = Object.values(n.enis)[0];
    if (!e) throw new Error('no ENI');
    const asCloud: Eni = {
      eniId: e.eniId,
      subnetId: e.subnetId,
      vpcId: 'vpc-abcd1234',
      mac: e.mac,
      state: 'AVAILABLE',
      primaryIp: e.primaryIp,
      secondaryIps: Object.keys(e.ips),
      instanceId: n.instanceId,
      tags: [],
    };
    return { n, e, asCloud };
  };

  it('the cloud showing exactly the log: nothing', async () => {
    const { n, asCloud } = await setup();
    expect(compareCloud([n], [asCloud])).toEqual([]);
  });

  it('a leaked ENI, a leaked IP, a missing IP and a missing ENI are each reported', async () => {
    const { n, e, asCloud } = await setup();
    const bound = Object.keys(e.ips)[0] as string;
    const leakedEni: Eni = { ...asCloud, eniId: 'eni-leak0001', secondaryIps: [] };
    const found = compareCloud([n], [{ ...asCloud, secondaryIps: ['10.0.1.60'] }, leakedEni]);
    expect(found.map((f) => f.subject).sort()).toEqual(['eni/eni-leak0001', 'ip/10.0.1.60', `ip/${bound}`].sort());
    expect(compareCloud([n], []).map((f) => f.subject)).toEqual([`eni/${e.eniId}`]);
    expect(compareCloud([n], [{ ...asCloud, instanceId: 'ins-other' }])[0]?.message).toContain('ins-other');
  });
});
