import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { handOverScenario, writeLog } from '../testing/churn.js';
import { eventsUpTo, loadHistory } from './load.js';
import { archivePlan } from './maintenance.js';
import { stateOf, statusOf } from './state.js';

const loaded = async () => {
  const s = handOverScenario();
  const store = new InMemoryEventStore();
  await writeLog(store, s.churn.sim.log);
  return { ...s, store, events: await loadHistory(store) };
};

describe('state at a point and status', () => {
  it('state --revision before p2 arrived shows p1 on the address; now shows p2', async () => {
    const { events, ip } = await loaded();
    const p1Released = events.find((e) => e.type === 'IpReleased');
    if (!p1Released) throw new Error('no release');
    const before = stateOf(eventsUpTo(events, { revision: p1Released.revision - 1 }));
    const podOn = (v: ReturnType<typeof stateOf>) =>
      v.nodes[0]?.enis.flatMap((e) => e.ips).find((i) => i.ip === ip)?.pod;
    expect(podOn(before)).toBe('default/p1');
    expect(podOn(stateOf(events))).toBe('default/p2');
    expect(podOn(stateOf(eventsUpTo(events, { time: Date.parse(p1Released.at) })))).toBeUndefined();
  });

  it('status counts nodes, addresses and the bounds in force', async () => {
    const { events } = await loaded();
    expect(statusOf(events)).toMatchObject({
      events: events.length,
      nodes: { active: 1 },
      subnets: 1,
      bound: 1,
      allocated: 1,
      free: 0,
      pendingIntents: 0,
      waitingPods: 0,
      preBind: { min: 0, max: 0 },
    });
  });

  it('loading names archived streams without doubling their live events', async () => {
    const { store, events } = await loaded();
    const again = await loadHistory(store, { archivedStreams: ['node/node-a', 'cluster'], pageSize: 3 });
    expect(again.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});

describe('archive plan', () => {
  it('archives each stream up to its first event at or after the time, always keeping the last event', async () => {
    const { events } = await loaded();
    const node = events.filter((e) => e.stream === 'node/node-a');
    const cut = node[5] as (typeof node)[number];
    const plan = archivePlan(events, Date.parse(cut.at));
    expect(plan.find((p) => p.stream === 'node/node-a')?.beforeSeq).toBe(
      node.find((e) => Date.parse(e.at) >= Date.parse(cut.at))?.seq,
    );
    const all = archivePlan(events, Date.parse('2100-01-01'));
    expect(all.find((p) => p.stream === 'node/node-a')?.beforeSeq).toBe(node[node.length - 1]?.seq);
    expect(archivePlan(events, 0)).toEqual([]);
  });
});
