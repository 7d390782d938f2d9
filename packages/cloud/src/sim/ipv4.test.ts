import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intToIp, ipToInt, isReserved, parseCidr, usableCount } from './ipv4.js';

describe('ipv4', () => {
  it('int <-> dotted quad round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => ipToInt(intToIp(n)) === n));
  });

  it.each(['10.0.0', '10.0.0.256', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5', ''])('%s is not an address', (s) => {
    expect(ipToInt(s)).toBeUndefined();
  });

  it.each([
    { cidr: '10.0.1.0/24', expect: { prefix: 24, size: 256 } },
    { cidr: '10.0.0.0/29', expect: { prefix: 29, size: 8 } },
  ])('parses $cidr', ({ cidr, expect: want }) => {
    expect(parseCidr(cidr)).toMatchObject(want);
  });

  it.each(['10.0.1.5/24', '10.0.1.0', '10.0.1.0/33', '10.0.1.0/24/1'])('refuses %s', (cidr) => {
    expect(parseCidr(cidr)).toBeUndefined();
  });

  it('reserves the network address, the .1 gateway and the broadcast address', () => {
    const c = parseCidr('10.0.1.0/24');
    if (!c) throw new Error('parse');
    const reserved = ['10.0.1.0', '10.0.1.1', '10.0.1.255'].map((ip) => isReserved(c, ipToInt(ip) ?? 0));
    expect(reserved).toEqual([true, true, true]);
    expect(isReserved(c, ipToInt('10.0.1.2') ?? 0)).toBe(false);
    expect(usableCount(c)).toBe(253);
  });
});
