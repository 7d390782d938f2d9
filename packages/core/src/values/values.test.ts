import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpamError } from '../errors.js';
import { parsePodAnnotations } from './annotations.js';
import { cidrContains, gatewayOf, isReserved, isUsable, parseCidr, usableAddresses, usableCount } from './cidr.js';
import { formatGoDuration, parseGoDuration } from './duration.js';
import { nodeStream, parseEniId, parseNodeName, parseSubnetId, subnetStream } from './ids.js';
import { compareIps, intToIp, ipToInt, parseIpv4 } from './ipv4.js';
import { parsePodRef, podKey } from './pod.js';
import { parsePreBind } from './prebind.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isIpamError(e) ? e.code : `not an IpamError: ${String(e)}`;
  }
  return undefined;
};

describe('IPv4', () => {
  it.each(['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.1.10'])('accepts %s', (ip) =>
    expect(parseIpv4(ip)).toBe(ip));
  it.each([
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.1 ',
    'a.b.c.d',
    '',
    42,
    null,
  ])('refuses %s with InvalidIp', (ip) => expect(codeOf(() => parseIpv4(ip))).toBe('InvalidIp'));
  it('orders numerically and round-trips through integers', () => {
    expect(compareIps('10.0.0.9', '10.0.0.10')).toBeLessThan(0);
    expect(intToIp(ipToInt('172.16.254.3'))).toBe('172.16.254.3');
  });
  it('ipToInt inverts intToIp on every 32-bit value, and agrees with the octets (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const ip = intToIp(n);
        expect(ipToInt(ip)).toBe(n);
        expect(ipToInt(ip)).toBe(ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('CIDR', () => {
  it('enumerates usable addresses: not the network, the .1 gateway nor the broadcast', () => {
    const c = parseCidr('10.0.1.0/29');
    expect([...usableAddresses(c)]).toEqual(['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5', '10.0.1.6']);
    expect(usableCount(c)).toBe(5);
    expect(gatewayOf(c)).toBe('10.0.1.1');
    expect(isReserved(c, '10.0.1.7')).toBe(true);
    expect(isUsable(c, '10.0.1.2')).toBe(true);
    expect(isUsable(c, '10.0.1.8')).toBe(false);
    expect(cidrContains(c, '10.0.1.7')).toBe(true);
    expect(cidrContains(c, '10.0.0.255')).toBe(false);
  });
  it.each([
    '10.0.1.5/24',
    '10.0.1.0/33',
    '10.0.1.0/8',
    '10.0.1.0/30',
    '10.0.1.0',
    '10.0.1.0/24/1',
    '10.0.1.0/x',
    7,
  ])('refuses %s with InvalidCidr', (c) => expect(codeOf(() => parseCidr(c))).toBe('InvalidCidr'));
});

describe('ids and names', () => {
  it('subnet ids are subnet- + 8 lowercase alphanumerics', () => {
    expect(parseSubnetId('subnet-ab12cd34')).toBe('subnet-ab12cd34');
    for (const bad of ['subnet-AB12CD34', 'subnet-ab12cd3', 'subnet-ab12cd345', 'sub-ab12cd34', ''])
      expect(codeOf(() => parseSubnetId(bad))).toBe('InvalidSubnetId');
  });
  it('ENI ids are eni- + 8 lowercase alphanumerics', () => {
    expect(parseEniId('eni-0a1b2c3d')).toBe('eni-0a1b2c3d');
    for (const bad of ['eni-0A1B2C3D', 'eni-123', 'eni_0a1b2c3d'])
      expect(codeOf(() => parseEniId(bad))).toBe('InvalidEniId');
  });
  it('node names are DNS-1123 subdomains', () => {
    expect(parseNodeName('10.0.0.12')).toBe('10.0.0.12');
    expect(parseNodeName('ip-10-0-0-1.ec2.internal')).toBe('ip-10-0-0-1.ec2.internal');
    for (const bad of ['Node-A', '-a', 'a_b', 'a'.repeat(254), ''])
      expect(codeOf(() => parseNodeName(bad))).toBe('InvalidNodeName');
  });
  it('stream names', () => {
    expect(nodeStream('n1')).toBe('node/n1');
    expect(subnetStream('subnet-ab12cd34')).toBe('subnet/subnet-ab12cd34');
  });
  it('pods: namespace label, name subdomain', () => {
    expect(podKey(parsePodRef({ namespace: 'kube-system', name: 'web-0', uid: 'u1' }))).toBe('kube-system/web-0');
    expect(codeOf(() => parsePodRef({ namespace: 'a.b', name: 'x' }))).toBe('InvalidInput');
    expect(codeOf(() => parsePodRef({ namespace: 'a', name: 'X' }))).toBe('InvalidInput');
  });
});

describe('pod annotations', () => {
  it('reads the mode and the claim policy (default Immediate)', () => {
    expect(parsePodAnnotations({ 'tke.cloud.tencent.com/networks': 'tke-route-eni' })).toEqual({
      network: 'tke-route-eni',
      claimPolicy: 'Immediate',
      claimPolicyExplicit: false,
    });
    expect(
      parsePodAnnotations({
        'tke.cloud.tencent.com/networks': 'tke-direct-eni',
        'tke.cloud.tencent.com/vpc-ip-claim-delete-policy': 'Never',
      }),
    ).toMatchObject({ network: 'tke-direct-eni', claimPolicy: 'Never', claimPolicyExplicit: true });
    expect(parsePodAnnotations(undefined).network).toBeUndefined();
  });
  it.each([
    { key: 'tke.cloud.tencent.com/networks', value: 'tke-bridge' },
    { key: 'tke.cloud.tencent.com/networks', value: 'TKE-ROUTE-ENI' },
    { key: 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy', value: 'never' },
    { key: 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy', value: 'Always' },
  ])('unknown $key value $value is InvalidAnnotation', ({ key, value }) =>
    expect(codeOf(() => parsePodAnnotations({ [key]: value }))).toBe('InvalidAnnotation'));
});

describe('pre-bind bounds', () => {
  it('accepts 0 <= min <= max', () => expect(parsePreBind({ min: 0, max: 3 })).toEqual({ min: 0, max: 3 }));
  it.each([
    { min: -1, max: 5 },
    { min: 6, max: 5 },
    { min: 1.5, max: 5 },
    { min: 1 },
    { min: 0, max: 5000 },
  ])('refuses %o with InvalidPreBindBounds', (b) => expect(codeOf(() => parsePreBind(b))).toBe('InvalidPreBindBounds'));
});

describe('Go durations', () => {
  it.each([
    { s: '10m0s', ms: 600_000 },
    { s: '1h', ms: 3_600_000 },
    { s: '1.5h', ms: 5_400_000 },
    { s: '300ms', ms: 300 },
    { s: '2h45m', ms: 9_900_000 },
    { s: '-2m', ms: -120_000 },
    { s: '0', ms: 0 },
    { s: '1000us', ms: 1 },
    { s: '1000000ns', ms: 1 },
  ])('$s is $ms ms', ({ s, ms }) => expect(parseGoDuration(s)).toBe(ms));
  it.each(['', '10', '1d', '1 h', 'h', '.s', '-', 5])('refuses %s', (s) =>
    expect(codeOf(() => parseGoDuration(s))).toBe('InvalidInput'));
  it('formats like Go', () => {
    expect(formatGoDuration(600_000)).toBe('10m0s');
    expect(formatGoDuration(3_600_000)).toBe('1h0m0s');
    expect(formatGoDuration(1500)).toBe('1.5s');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(-300)).toBe('-300ms');
  });
});
