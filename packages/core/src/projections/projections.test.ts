import { describe, expect, it } from 'vitest';
import { fold } from '../decider/decider.js';
import { type DecodedEvent, decodeEvent } from '../events/decode.js';
import type { NodeEvent } from '../events/node-events.js';
import { evolveNode } from '../node/evolve.js';
import { initialNodeState } from '../node/state.js';
import { evolveSubnet } from '../subnet/evolve.js';
import { initialSubnetState } from '../subnet/state.js';
import {
  ENI_1,
  ENI_2,
  eniReady,
  ipAllocated,
  NODE,
  nodeRegistered,
  pod,
  SUBNET_A,
  subnetRegistered,
  ZONE,
} from '../testing/index.js';
import { auditIndex, holderAt } from './audit.js';
import { DIRECT_ENI_RESOURCE, ENI_IP_RESOURCE, nodePoolView } from './node-pool.js';
import { project } from './projection.js';
import { claimsIndex, subnetPoolView } from './subnet-pool.js';

const node = (events: NodeEvent[]) => fold(evolveNode, initialNodeState(), events);

describe('node pool view', () => {
  const s = node([
    nodeRegistered({ maxEnis: 4, ipsPerEni: 10 }),
    ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12', '10.0.1.13']),
    ...eniReady(ENI_2, SUBNET_A, '10.0.1.20'),
    ipAllocated('k1', pod('p1'), '10.0.1.12', ENI_1),
  ]);

  it('eni-ip: capacity = max bindable (maxEnis - 1) x (ipsPerEni - 1), allocatable = bound', () => {
    const v = nodePoolView(s, [ZONE]);
    expect(v.resources[ENI_IP_RESOURCE]).toEqual({ capacity: 27, allocatable: 3 });
    expect(v.resources[DIRECT_ENI_RESOURCE]).toEqual({ capacity: 3, allocatable: 1 });
    expect(v.counts).toEqual({ bound: 3, binding: 0, unbinding: 0, allocated: 1, free: 2, exclusivePods: 0 });
    expect(v.enis[0]?.ips[1]).toEqual({ ip: '10.0.1.12', status: 'bound', pod: 'default/p1', containerId: 'k1' });
    expect(v.reason).toBeUndefined();
  });

  it('a node whose zone has no configured subnet advertises 0 and says why', () => {
    const v = nodePoolView(s, ['ap-shanghai-2']);
    expect(v.resources[ENI_IP_RESOURCE]).toEqual({ capacity: 0, allocatable: 0 });
    expect(v.resources[DIRECT_ENI_RESOURCE].capacity).toBe(0);
    expect(v.reason).toContain(ZONE);
  });

  it('shows exclusive assignments and device indexes', () => {
    const x = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      { type: 'EniAttached', data: { intentId: 'none', eniId: ENI_1, deviceIndex: 2 } },
      { type: 'EniAssigned', data: { pod: pod('db'), containerId: 'k', eniId: ENI_1, why: 't' } },
    ]);
    const v = nodePoolView(x, [ZONE]);
    expect(v.enis[0]).toMatchObject({ eniId: ENI_1, assignedTo: 'default/db' });
    expect(v.counts.exclusivePods).toBe(1);
  });
});

describe('subnet pool view and claims index', () => {
  const s = fold(evolveSubnet, initialSubnetState(), [
    subnetRegistered(SUBNET_A, '10.0.1.0/28'),
    {
      type: 'AddressesReserved',
      data: { intentId: 'i', node: NODE, eniId: ENI_1, ips: ['10.0.1.2', '10.0.1.3'], why: 't' },
    },
    { type: 'AddressesBound', data: { intentId: 'i', node: NODE, eniId: ENI_1, ips: ['10.0.1.2'] } },
    { type: 'PrimaryAddressTaken', data: { node: NODE, eniId: ENI_1, ip: '10.0.1.4' } },
    { type: 'QuotaReserved', data: { node: 'node-b', count: 3 } },
    { type: 'ClaimCreated', data: { pod: pod('web-0'), ip: '10.0.1.9', policy: 'Never', node: NODE } },
    { type: 'ClaimCreated', data: { pod: pod('web-1'), ip: '10.0.1.2', policy: 'Immediate', node: NODE } },
    { type: 'ClaimRetained', data: { pod: pod('web-0'), ip: '10.0.1.9' } },
  ]);

  it('counts addresses by status; claimed free addresses are not free', () =>
    expect(subnetPoolView(s)).toEqual({
      subnetId: SUBNET_A,
      cidr: '10.0.1.0/28',
      zone: ZONE,
      usable: 13,
      free: 9,
      reserved: 1,
      bound: 1,
      primary: 1,
      claims: 2,
      retainedClaims: 1,
      quotas: { 'node-b': 3 },
    }));

  it('indexes claims by pod with their subnet', () => {
    const idx = claimsIndex([s]);
    expect(idx['default/web-0']).toMatchObject({ ip: '10.0.1.9', state: 'retained', subnetId: SUBNET_A });
    expect(Object.keys(idx)).toHaveLength(2);
  });
});

const envelopes = (stream: string, events: { type: string; data: unknown }[], start = 0): DecodedEvent[] =>
  events.map((e, i) =>
    decodeEvent({
      id: `e${start + i}`,
      stream,
      seq: i + 1,
      type: e.type,
      v: 1,
      at: new Date(Date.UTC(2026, 0, 1, 0, start + i)).toISOString(),
      by: { replica: 'r', term: 1 },
      cause: {},
      data: e.data,
      revision: start + i + 1,
    }),
  );

describe('audit index', () => {
  const events = envelopes(`node/${NODE}`, [
    nodeRegistered(),
    ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11']),
    ipAllocated('k1', { ...pod('p1'), uid: 'u1' }, '10.0.1.11', ENI_1),
    { type: 'IpReleased', data: { pod: pod('p1'), containerId: 'k1', ip: '10.0.1.11', eniId: ENI_1, why: 'DEL' } },
    ipAllocated('k2', pod('p2'), '10.0.1.11', ENI_1),
    {
      type: 'IpUnbindRequested',
      data: { intentId: 'u', clientToken: 'u', eniId: ENI_1, ips: ['10.0.1.12'], why: 'x' },
    },
    { type: 'IpsUnbound', data: { intentId: 'u', eniId: ENI_1, ips: ['10.0.1.11'] } },
    {
      type: 'EniDetachRequested',
      data: { intentId: 'd', clientToken: 'd', eniId: ENI_1, instanceId: 'i', why: 'idle' },
    },
    {
      type: 'EniOperationFailed',
      data: { intentId: 'd', operation: 'detach', eniId: ENI_1, errorCode: 'CloudRetryable', message: 'busy' },
    },
    { type: 'EniCreateRequested', data: { intentId: 'x', clientToken: 'x', subnetId: SUBNET_A, why: 'more' } },
    {
      type: 'EniOperationFailed',
      data: { intentId: 'x', operation: 'create', errorCode: 'CloudCapacity', message: 'full' },
    },
    { type: 'EniAssigned', data: { pod: pod('db'), containerId: 'k3', eniId: ENI_1, why: 't' } },
    { type: 'EniReturned', data: { pod: pod('db'), containerId: 'k3', eniId: ENI_1, why: 't' } },
  ]);
  const idx = auditIndex([...events, ...envelopes(`subnet/${SUBNET_A}`, [subnetRegistered()], 100)]);

  it('IP -> who held it, from when to when', () => {
    expect(idx.ipHolders['10.0.1.11']).toMatchObject([
      {
        pod: 'default/p1',
        podUid: 'u1',
        containerId: 'k1',
        from: '2026-01-01T00:07:00.000Z',
        to: '2026-01-01T00:08:00.000Z',
      },
      { pod: 'default/p2', containerId: 'k2', from: '2026-01-01T00:09:00.000Z' },
    ]);
    expect(holderAt(idx, '10.0.1.11', '2026-01-01T00:07:30.000Z')?.pod).toBe('default/p1');
    expect(holderAt(idx, '10.0.1.11', '2026-01-01T00:08:30.000Z')).toBeUndefined();
    expect(idx.ipBindings['10.0.1.11']).toMatchObject([{ eniId: ENI_1, to: '2026-01-01T00:11:00.000Z' }]);
  });

  it('pod -> its addresses and ENIs', () => {
    expect(idx.podHoldings['default/p2']).toHaveLength(1);
    expect(idx.podHoldings['default/db']).toMatchObject([{ eniId: ENI_1, to: '2026-01-01T00:17:00.000Z' }]);
  });

  it('ENI -> its life, from the create intent on', () => {
    expect(idx.eniLife[ENI_1]?.map((x) => x.type)).toEqual([
      'EniCreateRequested',
      'EniCreated',
      'EniAttachRequested',
      'EniAttached',
      'EniDetachRequested',
      'EniOperationFailed',
    ]);
    expect(idx.pendingCreates).toEqual({});
  });

  it('the whole-log projection folds every stream', () => {
    const p = project([...events, ...envelopes(`subnet/${SUBNET_A}`, [subnetRegistered()], 100)]);
    expect(p.nodes[NODE]?.assignments).toEqual({});
    expect(p.subnets[SUBNET_A]?.registered).toBe(true);
    expect(p.revision).toBe(101);
  });
});
