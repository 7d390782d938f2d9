import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { advertises, patchOps } from './node-status-publisher.js';

const ENI_IP = 'tke.cloud.tencent.com/eni-ip';
const DIRECT = 'tke.cloud.tencent.com/direct-eni';
const desired = { [ENI_IP]: { capacity: 20, allocatable: 7 }, [DIRECT]: { capacity: 3, allocatable: 0 } };

describe('patchOps', () => {
  it('adds each value under existing maps, escaping the slash of the resource name', () => {
    const node: V1Node = { status: { capacity: { cpu: '4' }, allocatable: { cpu: '4' } } };
    expect(patchOps(node, desired)).toEqual([
      { op: 'add', path: '/status/capacity/tke.cloud.tencent.com~1eni-ip', value: '20' },
      { op: 'add', path: '/status/capacity/tke.cloud.tencent.com~1direct-eni', value: '3' },
      { op: 'add', path: '/status/allocatable/tke.cloud.tencent.com~1eni-ip', value: '7' },
      { op: 'add', path: '/status/allocatable/tke.cloud.tencent.com~1direct-eni', value: '0' },
    ]);
  });

  it('creates the status and its maps when the observed node has none', () => {
    expect(patchOps({ metadata: { name: 'n' } }, { [ENI_IP]: { capacity: 2, allocatable: 1 } })).toEqual([
      { op: 'add', path: '/status', value: {} },
      { op: 'add', path: '/status/capacity', value: { [ENI_IP]: '2' } },
      { op: 'add', path: '/status/allocatable', value: { [ENI_IP]: '1' } },
    ]);
  });
});

describe('advertises', () => {
  type Row = { what: string; capacity: Record<string, string>; allocatable: Record<string, string>; expected: boolean };
  it.each<Row>([
    {
      what: 'exact values',
      capacity: { [ENI_IP]: '20', [DIRECT]: '3' },
      allocatable: { [ENI_IP]: '7', [DIRECT]: '0' },
      expected: true,
    },
    {
      what: 'zeroed capacity',
      capacity: { [ENI_IP]: '0', [DIRECT]: '3' },
      allocatable: { [ENI_IP]: '7', [DIRECT]: '0' },
      expected: false,
    },
    {
      what: 'a missing resource',
      capacity: { [ENI_IP]: '20' },
      allocatable: { [ENI_IP]: '7', [DIRECT]: '0' },
      expected: false,
    },
    {
      what: 'stale allocatable',
      capacity: { [ENI_IP]: '20', [DIRECT]: '3' },
      allocatable: { [ENI_IP]: '6', [DIRECT]: '0' },
      expected: false,
    },
  ])('$what -> $expected', ({ capacity, allocatable, expected }) => {
    expect(advertises({ status: { capacity, allocatable } }, desired)).toBe(expected);
  });
});
