import { describe, expect, it } from 'vitest';
import { initialSubnetState, pickPrimaryAddress, type SubnetState } from './state.js';

const subnet = (o: Partial<SubnetState> = {}): SubnetState => ({
  ...initialSubnetState(),
  registered: true,
  subnetId: 'subnet-a',
  cidr: '10.0.1.0/29', // usable .2-.6
  ...o,
});
const claim = (ip: string) => ({
  pod: { namespace: 'd', name: `db-${ip}` },
  ip,
  policy: 'Never' as const,
  node: 'n1',
  state: 'retained' as const,
});

describe('pickPrimaryAddress', () => {
  it('given a free subnet, then the highest usable address (binds take the lowest)', () => {
    expect(pickPrimaryAddress(subnet())).toBe('10.0.1.6');
  });

  it('given the top taken, reserved for a bind, or kept by a claim, then the next free one below', () => {
    const s = subnet({
      addresses: {
        '10.0.1.6': { status: 'primary', node: 'n1', eniId: 'eni-1' },
        '10.0.1.5': { status: 'reserved', node: 'n1', eniId: 'eni-1', intentId: 'i1' },
      },
      claims: { 'd/db': claim('10.0.1.4') },
    });
    expect(pickPrimaryAddress(s)).toBe('10.0.1.3');
  });

  it('given addresses excluded (primaries of creates in flight), then the next free one below them', () => {
    expect(pickPrimaryAddress(subnet(), new Set(['10.0.1.6', '10.0.1.5']))).toBe('10.0.1.4');
    expect(pickPrimaryAddress(subnet(), new Set(['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5', '10.0.1.6']))).toBe(
      undefined,
    );
  });

  it('given a /16, then the address before its broadcast (walked down to, not listed)', () => {
    const s = subnet({
      cidr: '10.1.0.0/16',
      addresses: { '10.1.255.254': { status: 'primary', node: 'n', eniId: 'e' } },
    });
    expect(pickPrimaryAddress(s)).toBe('10.1.255.253');
  });

  it('given no free address or an unregistered subnet, then none', () => {
    const all = Object.fromEntries(
      ['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5', '10.0.1.6'].map((ip) => [ip, claim(ip)]),
    );
    expect(pickPrimaryAddress(subnet({ claims: all }))).toBeUndefined();
    expect(pickPrimaryAddress(initialSubnetState())).toBeUndefined();
  });
});
