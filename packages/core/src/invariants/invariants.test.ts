import { describe, expect, it } from 'vitest';
import { defaultClusterConfig } from '../cluster/cluster.js';
import { fold } from '../decider/decider.js';
import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
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
  VPC,
} from '../testing/index.js';
import { checkInvariants } from './invariants.js';

const node = (events: NodeEvent[]) => fold(evolveNode, initialNodeState(), events);
const subnet = (events: SubnetEvent[]) => fold(evolveSubnet, initialSubnetState(), events);
const boundIn = (ips: string[], eniId = ENI_1, n = NODE): SubnetEvent[] => [
  { type: 'AddressesReserved', data: { intentId: `i-${eniId}`, node: n, eniId, ips, why: 't' } },
  { type: 'AddressesBound', data: { intentId: `i-${eniId}`, node: n, eniId, ips } },
];
const which = (v: { invariant: number }[]) => v.map((x) => x.invariant);

describe('invariant checker (DESIGN 6)', () => {
  const healthyNode = node([
    nodeRegistered(),
    ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11']),
    ipAllocated('k1', pod('a'), '10.0.1.11', ENI_1),
  ]);
  const healthySubnet = subnet([subnetRegistered(), ...boundIn(['10.0.1.11'])]);

  it('a healthy state has no violations', () =>
    expect(checkInvariants({ nodes: [healthyNode], subnets: [healthySubnet] })).toEqual([]));

  it('1: one IP held by two live pods', () => {
    const other = node([
      nodeRegistered(undefined, 'node-b'),
      ...eniReady(ENI_2, SUBNET_A, '10.0.1.20', ['10.0.1.11']),
      ipAllocated('k9', pod('b'), '10.0.1.11', ENI_2),
    ]);
    expect(which(checkInvariants({ nodes: [healthyNode, other], subnets: [] }))).toContain(1);
    const twice = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      { type: 'EniAssigned', data: { pod: pod('a'), containerId: 'k1', eniId: ENI_1, why: 't' } },
      { type: 'EniAssigned', data: { pod: pod('b'), containerId: 'k2', eniId: ENI_1, why: 't' } },
    ]);
    expect(which(checkInvariants({ nodes: [twice], subnets: [] }))).toEqual([1]);
  });

  it('2: an allocated IP not bound on an attached ENI of the node, or the subnet disagrees', () => {
    const unbound = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      ipAllocated('k1', pod('a'), '10.0.1.11', ENI_1),
    ]);
    expect(which(checkInvariants({ nodes: [unbound], subnets: [] }))).toEqual([2]);
    const noEni = node([nodeRegistered(), ipAllocated('k1', pod('a'), '10.0.1.11', ENI_1)]);
    expect(which(checkInvariants({ nodes: [noEni], subnets: [] }))).toEqual([2]);
    expect(which(checkInvariants({ nodes: [healthyNode], subnets: [subnet([subnetRegistered()])] }))).toEqual([2]);
    const detachedAssigned = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      { type: 'EniAssigned', data: { pod: pod('a'), containerId: 'k1', eniId: ENI_1, why: 't' } },
      {
        type: 'EniDetachRequested',
        data: { intentId: 'd', clientToken: 'd', eniId: ENI_1, instanceId: 'i', why: 'x' },
      },
    ]);
    expect(which(checkInvariants({ nodes: [detachedAssigned], subnets: [] }))).toEqual([2]);
  });

  it('3: more IPs on an ENI or more ENIs on a node than the limits allow', () => {
    const full = node([
      nodeRegistered({ maxEnis: 2, ipsPerEni: 2 }),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12']),
      ...eniReady(ENI_2, SUBNET_A, '10.0.1.20'),
    ]);
    expect(which(checkInvariants({ nodes: [full], subnets: [] }))).toEqual([3, 3]);
  });

  it('3: after the limits shrink, the excess is tolerated until trimmed, not beyond', () => {
    const base = [
      nodeRegistered({ maxEnis: 3, ipsPerEni: 4 }),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12', '10.0.1.13']),
    ];
    const shrunk = node([
      ...base,
      {
        type: 'NodeLimitsChanged',
        data: { limits: { maxEnis: 3, ipsPerEni: 2 }, previous: { maxEnis: 3, ipsPerEni: 4 } },
      },
    ]);
    expect(shrunk.graceLimits).toEqual({ maxEnis: 3, ipsPerEni: 4 });
    expect(checkInvariants({ nodes: [shrunk], subnets: [] })).toEqual([]);
    const trimmed = fold(evolveNode, shrunk, [
      {
        type: 'IpUnbindRequested',
        data: { intentId: 'u', clientToken: 'u', eniId: ENI_1, ips: ['10.0.1.12', '10.0.1.13'], why: 'trim' },
      },
      { type: 'IpsUnbound', data: { intentId: 'u', eniId: ENI_1, ips: ['10.0.1.12', '10.0.1.13'] } },
    ]);
    expect(trimmed.graceLimits).toBeUndefined();
  });

  it('7: a claimed pod holding another IP, or a claimed IP held by another pod', () => {
    const claims = subnet([
      subnetRegistered(),
      ...boundIn(['10.0.1.11']),
      { type: 'ClaimCreated', data: { pod: pod('a'), ip: '10.0.1.30', policy: 'Never', node: NODE } },
      { type: 'ClaimCreated', data: { pod: pod('z'), ip: '10.0.1.11', policy: 'Never', node: NODE } },
    ]);
    expect(which(checkInvariants({ nodes: [healthyNode], subnets: [claims] }))).toEqual([7, 7]);
  });

  it('8: at rest, bound below pods + min (when the node can grow) or above pods + max', () => {
    const config = { ...defaultClusterConfig(VPC, [SUBNET_A]), preBind: { min: 2, max: 2 } };
    const emptySubnet = subnet([subnetRegistered(), ...boundIn(['10.0.1.11'])]);
    expect(which(checkInvariants({ nodes: [healthyNode], subnets: [emptySubnet], config }))).toEqual([8]);
    const many = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12', '10.0.1.13', '10.0.1.14']),
    ]);
    const sub = subnet([subnetRegistered(), ...boundIn(['10.0.1.11', '10.0.1.12', '10.0.1.13', '10.0.1.14'])]);
    expect(checkInvariants({ nodes: [many], subnets: [sub], config }).map((v) => v.message)).toEqual([
      'node-a has 4 bound at rest, above 2 (pods 0 + max 2)',
    ]);
    const onDemand = { ...config, poolPolicy: 'on-demand' as const };
    expect(checkInvariants({ nodes: [many], subnets: [sub], config: onDemand })).toEqual([]);
    const small = node([
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.2', ['10.0.1.3']),
      ipAllocated('k1', pod('a'), '10.0.1.3', ENI_1),
    ]);
    const full = subnet([
      subnetRegistered(SUBNET_A, '10.0.1.0/29'),
      { type: 'PrimaryAddressTaken', data: { node: NODE, eniId: ENI_1, ip: '10.0.1.2' } },
      ...boundIn(['10.0.1.3']),
      ...boundIn(['10.0.1.4', '10.0.1.5', '10.0.1.6'], ENI_2, 'node-b'),
    ]);
    expect(checkInvariants({ nodes: [small], subnets: [full], config })).toEqual([]);
  });
});
