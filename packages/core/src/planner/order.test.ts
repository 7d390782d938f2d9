import { describe, expect, it } from 'vitest';
import { maxBindableIps, maxExclusiveEnis, secondaryIpsPerEni } from './limits.js';
import { compareIpv4, pickEniForExclusivePod, pickIpForPod, pickIpsToRelease, pickSubnetForNewEni } from './order.js';
import { eni, ips, primaryEni, subnet, ZONE } from './testing/builders.js';

describe('capacity', () => {
  it('max bindable IPs counts secondary IPs on secondary ENIs: (maxEnis - 1) x (ipsPerEni - 1)', () => {
    expect(maxBindableIps({ maxEnis: 4, ipsPerEni: 10 })).toBe(27);
    expect(maxBindableIps({ maxEnis: 1, ipsPerEni: 10 })).toBe(0);
    expect(maxBindableIps({ maxEnis: 0, ipsPerEni: 0 })).toBe(0);
  });
  it('max exclusive pods = max ENIs - 1', () => {
    expect(maxExclusiveEnis({ maxEnis: 4, ipsPerEni: 10 })).toBe(3);
    expect(maxExclusiveEnis({ maxEnis: 0, ipsPerEni: 10 })).toBe(0);
    expect(secondaryIpsPerEni({ maxEnis: 4, ipsPerEni: 10 })).toBe(9);
  });
});

describe('compareIpv4', () => {
  it('orders dotted quads numerically and other strings as text', () => {
    expect(['10.0.0.10', '10.0.0.9', '9.1.1.1'].sort(compareIpv4)).toEqual(['9.1.1.1', '10.0.0.9', '10.0.0.10']);
    expect(compareIpv4('10.0.0.1', '10.0.0.1')).toBe(0);
    expect(['b', 'a', 'a'].sort(compareIpv4)).toEqual(['a', 'a', 'b']);
    // parts above 255 compare part by part, not as one number (found by the property test)
    expect(compareIpv4('0.254.510.512', '1.0.0.0')).toBeLessThan(0);
  });
});

describe('pickIpForPod (least ENI)', () => {
  it('takes a free IP on the attached ENI with the most allocated IPs', () => {
    const enis = [
      primaryEni(),
      eni('eni-a', { ips: ips('10.0.1', 4, 1) }),
      eni('eni-b', { ips: ips('10.0.2', 4, 3) }),
      eni('eni-c', { ips: ips('10.0.3', 4, 3), state: 'attaching' }),
    ];
    expect(pickIpForPod(enis)).toEqual({ eniId: 'eni-b', ip: '10.0.2.4' });
  });
  it('breaks ties by ENI id, then lowest IP, and skips full, binding and exclusive ENIs', () => {
    const enis = [
      eni('eni-b', { ips: ips('10.0.2', 3, 1) }),
      eni('eni-a', { ips: [...ips('10.0.1', 1, 1), { ip: '10.0.1.10', status: 'bound', allocated: false }] }),
      eni('eni-0', { ips: ips('10.0.0', 2, 2) }),
      eni('eni-x', { ips: ips('10.0.9', 3, 0, 'binding') }),
      eni('eni-p', { ips: ips('10.0.8', 2, 0), exclusivePod: 'p' }),
    ];
    expect(pickIpForPod(enis)).toEqual({ eniId: 'eni-a', ip: '10.0.1.10' });
  });
  it('returns undefined when no IP is free', () => {
    expect(pickIpForPod([primaryEni(), eni('eni-a', { ips: ips('10.0.1', 2, 2) })])).toBeUndefined();
  });
});

describe('pickIpsToRelease', () => {
  it('takes idle IPs of the ENI with the fewest allocated IPs first, never allocated ones', () => {
    const enis = [eni('eni-a', { ips: ips('10.0.1', 5, 3) }), eni('eni-b', { ips: ips('10.0.2', 3, 1) })];
    expect(pickIpsToRelease(enis, 3)).toEqual([
      { eniId: 'eni-b', ip: '10.0.2.2' },
      { eniId: 'eni-b', ip: '10.0.2.3' },
      { eniId: 'eni-a', ip: '10.0.1.4' },
    ]);
    expect(pickIpsToRelease(enis, 10)).toHaveLength(4);
    expect(pickIpsToRelease(enis, 0)).toEqual([]);
  });
  it('prefers the emptier ENI among equally allocated ones, then the ENI id', () => {
    const enis = [
      eni('eni-c', { ips: ips('10.0.3', 2) }),
      eni('eni-b', { ips: ips('10.0.2', 1) }),
      eni('eni-a', { ips: ips('10.0.1', 2) }),
    ];
    expect(pickIpsToRelease(enis, 2).map((p) => p.ip)).toEqual(['10.0.2.1', '10.0.1.1']);
  });
});

describe('pickSubnetForNewEni', () => {
  const subnets = [subnet('subnet-a', 10), subnet('subnet-b', 50), subnet('subnet-c', 50), subnet('far', 900, 'other')];
  it('picks the subnet in the zone with the most free IPs, ties by id', () => {
    expect(pickSubnetForNewEni(subnets, ZONE)).toEqual({ ok: true, subnet: subnets[1] });
  });
  it('on-demand: only a subnet that can fully hold the ENI quota', () => {
    expect(pickSubnetForNewEni(subnets, ZONE, 20)).toMatchObject({ ok: true, subnet: { subnetId: 'subnet-b' } });
    expect(pickSubnetForNewEni(subnets, ZONE, 60)).toEqual({
      ok: false,
      refusal: { code: 'SubnetExhausted', reason: expect.stringContaining('no subnet can hold the ENI quota') },
    });
  });
  it('refuses with NoSubnetInZone when the zone has no subnet, SubnetExhausted when all are full', () => {
    expect(pickSubnetForNewEni(subnets, 'nowhere')).toMatchObject({
      ok: false,
      refusal: { code: 'NoSubnetInZone', reason: expect.stringContaining('node has no subnet in its zone') },
    });
    expect(pickSubnetForNewEni([subnet('subnet-a', 0)], ZONE)).toMatchObject({
      ok: false,
      refusal: { code: 'SubnetExhausted' },
    });
  });
});

describe('pickEniForExclusivePod', () => {
  it('takes the attached unassigned unclaimed ENI with the lowest id, optionally in a subnet', () => {
    const enis = [
      primaryEni(),
      eni('eni-3'),
      eni('eni-2', { subnetId: 'subnet-b' }),
      eni('eni-1', { exclusivePod: 'p1' }),
      eni('eni-0', { claimedBy: 'web-0' }),
      eni('eni-00', { state: 'attaching' }),
    ];
    expect(pickEniForExclusivePod(enis)?.id).toBe('eni-2');
    expect(pickEniForExclusivePod(enis, 'subnet-a')?.id).toBe('eni-3');
    expect(pickEniForExclusivePod(enis, 'subnet-z')).toBeUndefined();
  });
  it('never takes an ENI with an IP held by a pod or an IP in flight on it; idle bound IPs only after empty ENIs', () => {
    const withPods = eni('eni-1', { ips: ips('10.0.1', 2, 1) });
    const idle = eni('eni-2', { ips: ips('10.0.2', 1) });
    const binding = eni('eni-3', { ips: ips('10.0.3', 1, 0, 'binding') });
    expect(pickEniForExclusivePod([primaryEni(), withPods, idle, binding])?.id).toBe('eni-2');
    expect(pickEniForExclusivePod([primaryEni(), withPods, idle, binding, eni('eni-9')])?.id).toBe('eni-9');
    expect(pickEniForExclusivePod([primaryEni(), withPods, binding])).toBeUndefined();
  });
});
