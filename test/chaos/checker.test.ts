/** The chaos checker's own checks: each finds what it is meant to find (and nothing else). */
import { describe, expect, it } from 'vitest';
import { cloudVsLog, doubleHolders, History, lostAcks, staticAddresses } from './checker.js';

const alloc = (h: History, node: string, c: string, ip: string, at: number, mode: 'shared' | 'exclusive' = 'shared') =>
  h.acked({ node, containerId: c, mode, ip, eniId: 'eni-1', ackedAt: at });

describe('chaos checker', () => {
  it('given an address reused after the release was sent, when checked, then no violation', () => {
    const h = new History();
    alloc(h, 'n0', 'c1', '10.1.0.5', 100);
    h.releaseSent('n0', 'c1', 200);
    h.releaseAcked('n0', 'c1', 250);
    alloc(h, 'n1', 'c2', '10.1.0.5', 220);
    expect(doubleHolders(h.allocations)).toEqual([]);
  });

  it('given an address acked to a second pod before the first was released, then a double holder', () => {
    const h = new History();
    alloc(h, 'n0', 'c1', '10.1.0.5', 100);
    alloc(h, 'n1', 'c2', '10.1.0.5', 150);
    h.releaseSent('n0', 'c1', 200);
    expect(doubleHolders(h.allocations).map((v) => v.kind)).toEqual(['double-holder']);
  });

  it('given two exclusive pods on one ENI at once, then a double holder of the ENI', () => {
    const h = new History();
    alloc(h, 'n0', 'c1', '10.1.0.5', 100, 'exclusive');
    alloc(h, 'n0', 'c2', '10.1.0.6', 150, 'exclusive');
    expect(doubleHolders(h.allocations).map((v) => v.detail)).toEqual([expect.stringContaining('exclusive ENI eni-1')]);
  });

  it('finds an acknowledged allocation missing or moved, and a released one still present', () => {
    const h = new History();
    alloc(h, 'n0', 'c1', '10.1.0.5', 100);
    alloc(h, 'n0', 'c2', '10.1.0.6', 100);
    alloc(h, 'n0', 'c3', '10.1.0.7', 100);
    alloc(h, 'n0', 'c4', '10.1.0.8', 100);
    h.releaseSent('n0', 'c4', 200);
    h.releaseAcked('n0', 'c4', 210);
    const live = new Map([
      ['n0/c1', { ip: '10.1.0.5', eniId: 'eni-1' }],
      ['n0/c2', { ip: '10.1.0.9', eniId: 'eni-1' }],
      ['n0/c4', { ip: '10.1.0.8', eniId: 'eni-1' }],
    ]);
    const { lost, stale } = lostAcks(h, live);
    expect(lost.map((v) => v.detail.split(':')[0])).toEqual(['n0/c2', 'n0/c3']);
    expect(stale.map((v) => v.detail.split(':')[0])).toEqual(['n0/c4']);
  });

  it('a repeated ADD answered with the first allocation is one record', () => {
    const h = new History();
    alloc(h, 'n0', 'c1', '10.1.0.5', 100);
    alloc(h, 'n0', 'c1', '10.1.0.5', 120);
    expect(h.allocations).toHaveLength(1);
  });

  it('compares the cloud with the log both ways', () => {
    const cloud = new Map([
      ['eni-1', ['10.1.0.5', '10.1.0.6']],
      ['eni-2', []],
    ]);
    const log = new Map([
      ['eni-1', ['10.1.0.5', '10.1.0.7']],
      ['eni-3', []],
    ]);
    expect(cloudVsLog(cloud, log)).toEqual([
      'ENI eni-1: IPs in the cloud, not in the log: 10.1.0.6',
      'ENI eni-1: IPs in the log, not in the cloud: 10.1.0.7',
      'ENI eni-2 in the cloud, not in the log (leak or duplicate ENI for an intent)',
      'ENI eni-3 in the log, not in the cloud',
    ]);
    expect(cloudVsLog(log, log)).toEqual([]);
  });

  const staticAlloc = (h: History, node: string, c: string, ip: string, at: number) =>
    h.acked({ node, containerId: c, mode: 'shared', ip, eniId: 'eni-1', ackedAt: at, staticPod: 'chaos/db-0' });
  const created = (ip: string) => ({ kind: 'created' as const, pod: 'chaos/db-0', ip });

  it('given a static pod back on another node at its claimed address, then no violation', () => {
    const h = new History();
    staticAlloc(h, 'n0', 'c1', '10.1.0.5', 100);
    staticAlloc(h, 'n1', 'c2', '10.1.0.5', 300);
    expect(staticAddresses(h.allocations, [created('10.1.0.5')])).toEqual({ violations: [], unclaimed: 0, names: 1 });
  });

  it('given a static pod back at another address, then it moved', () => {
    const h = new History();
    staticAlloc(h, 'n0', 'c1', '10.1.0.5', 100);
    staticAlloc(h, 'n1', 'c2', '10.1.0.9', 300);
    const r = staticAddresses(h.allocations, [created('10.1.0.5')]);
    expect(r.violations.map((v) => v.kind)).toEqual(['static-moved']);
  });

  it('given an allocation before the claim existed, then it is counted, not a violation', () => {
    const h = new History();
    staticAlloc(h, 'n0', 'c1', '10.1.0.9', 100);
    staticAlloc(h, 'n1', 'c2', '10.1.0.5', 300);
    expect(staticAddresses(h.allocations, [created('10.1.0.5')])).toEqual({ violations: [], unclaimed: 1, names: 1 });
  });

  it('given a name claimed twice while its claim stood, then it moved; after the claim ended, not', () => {
    expect(staticAddresses([], [created('10.1.0.5'), created('10.1.0.9')]).violations).toHaveLength(1);
    const ended = { kind: 'ended' as const, pod: 'chaos/db-0', ip: '10.1.0.5' };
    expect(staticAddresses([], [created('10.1.0.5'), ended, created('10.1.0.9')]).violations).toEqual([]);
  });
});
