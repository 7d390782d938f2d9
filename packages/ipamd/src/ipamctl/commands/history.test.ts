import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { handOverScenario, writeLog } from '../testing/churn.js';
import { buildAuditIndex, eniHistory, type HistorySubject, ipHistory, podHistory, relevantTo } from './history.js';
import { loadHistory } from './load.js';
import { parseEni, parseIp, parsePod, parseTime, parseWindow } from './parse.js';

const loaded = async () => {
  const s = handOverScenario();
  const store = new InMemoryEventStore();
  await writeLog(store, s.churn.sim.log);
  return { ...s, store, events: await loadHistory(store) };
};

describe('history (audit index over the whole log)', () => {
  it('given p1 then p2 on one address, when asked about the IP, then both holders in order', async () => {
    const { ip, sameIp, events } = await loaded();
    expect(sameIp).toBe(true);
    const h = ipHistory(buildAuditIndex(events), ip);
    expect(h.holders.map((x) => [x.pod, x.to === undefined])).toEqual([
      ['default/p1', false],
      ['default/p2', true],
    ]);
    expect(h.holders[0]?.to).toBe(h.holders[1] ? events.find((e) => e.id === h.holders[0]?.toEvent)?.at : undefined);
    expect(h.bindings).toHaveLength(1);
  });

  it('--since / --until keep only the spans that overlap the window', async () => {
    const { ip, events } = await loaded();
    const idx = buildAuditIndex(events);
    const p2From = Date.parse(ipHistory(idx, ip).holders[1]?.from as string);
    expect(ipHistory(idx, ip, { since: p2From }).holders.map((x) => x.pod)).toEqual(['default/p2']);
    expect(ipHistory(idx, ip, { until: p2From - 1 }).holders.map((x) => x.pod)).toEqual(['default/p1']);
    expect(ipHistory(idx, '10.9.9.9').holders).toEqual([]);
  });

  it('a pod: what it held; an ENI: its life from the create intent on', async () => {
    const { ip, events } = await loaded();
    const idx = buildAuditIndex(events);
    expect(podHistory(idx, 'default/p1').holdings).toMatchObject([{ ip, node: 'node-a' }]);
    const eniId = podHistory(idx, 'default/p1').holdings[0]?.eniId as string;
    expect(eniHistory(idx, eniId).life.map((x) => x.type)).toEqual([
      'EniCreateRequested',
      'EniCreated',
      'EniAttachRequested',
      'EniAttached',
    ]);
    expect(eniHistory(idx, eniId, { since: Date.parse('2100-01-01') }).life).toEqual([]);
  });
});

describe('pre-filtered history (the fast path for big logs)', () => {
  it('folding only the events about a subject gives the same entry as the whole log, for every subject', async () => {
    const { store, events } = await loaded();
    const full = buildAuditIndex(events);
    const subjects: HistorySubject[] = [
      ...Object.keys(full.ipHolders).map((ip) => ({ kind: 'ip' as const, ip })),
      ...Object.keys(full.ipBindings).map((ip) => ({ kind: 'ip' as const, ip })),
      ...Object.keys(full.podHoldings).map((pod) => ({ kind: 'pod' as const, pod })),
      ...Object.keys(full.eniLife).map((eniId) => ({ kind: 'eni' as const, eniId })),
    ];
    expect(subjects.length).toBeGreaterThanOrEqual(5);
    for (const s of subjects) {
      const some = await loadHistory(store, { filter: relevantTo(s) });
      expect(some.length).toBeLessThan(events.length);
      const idx = buildAuditIndex(some);
      if (s.kind === 'ip') expect(ipHistory(idx, s.ip)).toEqual(ipHistory(full, s.ip));
      if (s.kind === 'pod') expect(podHistory(idx, s.pod)).toEqual(podHistory(full, s.pod));
      if (s.kind === 'eni') expect(eniHistory(idx, s.eniId)).toEqual(eniHistory(full, s.eniId));
    }
  });
});

describe('operator input', () => {
  it.each([
    { f: () => parseIp('10.0.0.256'), code: 'InvalidIp' },
    { f: () => parseIp('not-an-ip'), code: 'InvalidIp' },
    { f: () => parseEni('eni-1'), code: 'InvalidEniId' },
    { f: () => parsePod('no-namespace'), code: 'InvalidInput' },
    { f: () => parseTime('yesterday'), code: 'InvalidInput' },
    { f: () => parseTime('2026-13-45T00:00:00Z'), code: 'InvalidInput' },
    { f: () => parseWindow({ since: '2026-02-01', until: '2026-01-01' }), code: 'InvalidInput' },
  ])('rejects bad input with a typed error ($code)', ({ f, code }) => {
    expect(f).toThrow(expect.objectContaining({ code }));
  });

  it('accepts dates, times with zones, pods and ENI ids', () => {
    expect(parseTime('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01T08:00:00+08:00')).toBe(Date.UTC(2026, 0, 1));
    expect(parsePod('kube-system/coredns-5d78c9869d-abcde')).toBe('kube-system/coredns-5d78c9869d-abcde');
    expect(parseEni('eni-abcd1234')).toBe('eni-abcd1234');
  });
});
