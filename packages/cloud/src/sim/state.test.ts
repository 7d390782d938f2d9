import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testSeed } from '../testing/index.js';
import { parseSeed, stateFromSeed } from './state.js';

const demo = JSON.parse(readFileSync(new URL('../../seeds/demo.json', import.meta.url), 'utf8'));

describe('seed', () => {
  it('the shipped demo seed and the test seed are valid', () => {
    expect(parseSeed(demo).instances).toHaveLength(3);
    expect(Object.keys(stateFromSeed(testSeed(), 'now').subnets)).toHaveLength(3);
  });

  it('fills the documented defaults', () => {
    const { region: _r, unattachedIpsPerEni: _u, ...rest } = demo;
    const s = parseSeed({ ...rest, subnets: [{ ...demo.subnets[0], name: undefined }] });
    expect(s).toMatchObject({ region: 'ap-guangzhou', unattachedIpsPerEni: 10 });
    expect(s.subnets[0]?.name).toBe('');
  });

  it.each([
    { case: 'malformed VPC id', seed: { ...demo, vpc: { vpcId: 'vpc-1', cidr: '10.0.0.0/16' } }, says: 'vpc.vpcId' },
    {
      case: 'subnet outside the VPC',
      seed: { ...demo, subnets: [{ ...demo.subnets[0], cidr: '192.168.0.0/24' }] },
      says: 'outside the VPC',
    },
    {
      case: 'unaligned CIDR',
      seed: { ...demo, subnets: [{ ...demo.subnets[0], cidr: '10.0.32.7/24' }] },
      says: 'aligned',
    },
    {
      case: 'subnet smaller than /29',
      seed: { ...demo, subnets: [{ ...demo.subnets[0], cidr: '10.0.32.0/30' }] },
      says: '/29',
    },
    {
      case: 'unknown instance type',
      seed: { ...demo, instances: [{ ...demo.instances[0], instanceType: 'X' }] },
      says: 'unknown instance type',
    },
    { case: 'unknown field', seed: { ...demo, colour: 'red' }, says: 'colour' },
    { case: 'no subnets', seed: { ...demo, subnets: [] }, says: 'subnets' },
  ])('$case is refused, saying so', ({ seed, says }) => {
    expect(() => parseSeed(seed)).toThrow(says);
  });
});
