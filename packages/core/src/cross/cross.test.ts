import { describe, expect, it } from 'vitest';
import { fold } from '../decider/decider.js';
import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import { evolveNode } from '../node/evolve.js';
import { initialNodeState, type NodeState } from '../node/state.js';
import { evolveSubnet } from '../subnet/evolve.js';
import { initialSubnetState, type SubnetState } from '../subnet/state.js';
import {
  ENI_1,
  eniReady,
  meta,
  NODE,
  nodeRegistered,
  pod,
  SUBNET_A,
  SUBNET_B,
  subnetRegistered,
} from '../testing/index.js';
import { type CrossCommand, type CrossDecision, crossToAppends, decideCross } from './index.js';

/** A tiny world: one node and its subnets, evolving with each cross decision. */
class World {
  nodes: Record<string, NodeState> = {};
  subnets: Record<string, SubnetState> = {};
  n = 0;
  constructor(nodeEvents: Record<string, NodeEvent[]>, subnetEvents: Record<string, SubnetEvent[]>) {
    for (const [k, ev] of Object.entries(nodeEvents)) this.nodes[k] = fold(evolveNode, initialNodeState(), ev);
    for (const [k, ev] of Object.entries(subnetEvents)) this.subnets[k] = fold(evolveSubnet, initialSubnetState(), ev);
  }
  run(c: Record<string, unknown>, node = NODE): CrossDecision {
    const cmd = { ...meta(++this.n), node, ...c } as CrossCommand;
    const d = decideCross(cmd, this.nodes[node] ?? initialNodeState(), this.subnets);
    this.nodes[node] = fold(evolveNode, this.nodes[node] ?? initialNodeState(), d.node);
    if (d.subnet) {
      const id = d.subnet.subnetId;
      this.subnets[id] = fold(evolveSubnet, this.subnets[id] ?? initialSubnetState(), d.subnet.events);
    }
    return d;
  }
}

const world = (extra: Record<string, NodeEvent[]> = {}) =>
  new World(
    { [NODE]: [nodeRegistered(), ...eniReady(ENI_1, SUBNET_A, '10.0.1.10')], ...extra },
    {
      [SUBNET_A]: [subnetRegistered(SUBNET_A, '10.0.1.0/29')],
      [SUBNET_B]: [subnetRegistered(SUBNET_B, '10.0.2.0/29')],
    },
  );

describe('cross-stream: binding addresses the subnet chose', () => {
  it('BindIps reserves the lowest free addresses in the subnet with the node intent, atomically', () => {
    const w = world();
    const d = w.run({ type: 'BindIps', eniId: ENI_1, count: 2, why: 'below pods+min' });
    expect(d.node).toMatchObject([
      { type: 'IpBindRequested', data: { ips: ['10.0.1.2', '10.0.1.3'], intentId: 'c1:0', clientToken: 'c1:0' } },
    ]);
    expect(d.subnet).toMatchObject({
      subnetId: SUBNET_A,
      events: [{ type: 'AddressesReserved', data: { intentId: 'c1:0', ips: ['10.0.1.2', '10.0.1.3'] } }],
    });
    const appends = crossToAppends(d, { ...meta(1), node: NODE }, initialNodeState(), {});
    expect(appends.map((a) => [a.stream, a.events.map((e) => e.id)])).toEqual([
      ['node/node-a', ['c1:0']],
      ['subnet/subnet-aaaa0001', ['c1:1']],
    ]);
    expect(appends[0]?.events[0]).toMatchObject({ seq: 1, v: 1, cause: { commandId: 'c1' } });
  });

  it('bound: both streams say bound; failed: the addresses are free again', () => {
    const w = world();
    w.run({ type: 'BindIps', eniId: ENI_1, count: 1, why: 'min' });
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.2']?.status).toBe('bound');
    w.run({ type: 'BindIps', eniId: ENI_1, count: 1, why: 'min' });
    w.run({ type: 'RecordIpBindFailed', intentId: 'c3:0', errorCode: 'CloudCapacity', message: 'full' });
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.3']).toBeUndefined();
    expect(w.nodes[NODE]?.enis[ENI_1]?.ips['10.0.1.3']).toBeUndefined();
    expect(
      w.run({ type: 'RecordIpBindFailed', intentId: 'c3:0', errorCode: 'CloudCapacity', message: 'again' }),
    ).toEqual({ node: [] });
  });

  it('unbound: the address returns to the subnet', () => {
    const w = world();
    w.run({ type: 'BindIps', eniId: ENI_1, ips: ['10.0.1.4'], why: 'min' });
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    expect(
      w.run({ type: 'RequestIpUnbind', eniId: ENI_1, ips: ['10.0.1.4'], why: 'above max' }).subnet,
    ).toBeUndefined();
    expect(w.run({ type: 'RecordIpsUnbound', intentId: 'nope' })).toEqual({ node: [] });
    const d = w.run({ type: 'RecordIpsUnbound', intentId: 'c3:0' });
    expect(d.subnet?.events).toMatchObject([{ type: 'AddressesFreed', data: { ips: ['10.0.1.4'], why: 'unbound' } }]);
    expect(w.subnets[SUBNET_A]?.addresses).toEqual({});
  });

  it('a subnet with too few addresses refuses the whole bind (SubnetExhausted), nothing decided', () => {
    const w = world();
    expect(() => w.run({ type: 'BindIps', eniId: ENI_1, count: 6, why: 'min' })).toThrow(/6 asked/);
    expect(() => w.run({ type: 'BindIps', eniId: 'eni-zzzz9999', count: 1, why: 'min' })).toThrow(/not on node/);
    expect(() => w.run({ type: 'BindIps', eniId: ENI_1, why: 'neither' })).toThrow(/exactly one/);
  });

  it("an ENI's primary IP is taken in its subnet when created and freed when deleted", () => {
    const w = world({ [NODE]: [nodeRegistered()] });
    expect(w.run({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'x' }).subnet).toBeUndefined();
    const created = w.run({
      type: 'RecordEniCreated',
      intentId: 'c1:0',
      eniId: ENI_1,
      primaryIp: '10.0.1.5',
      mac: '52:54:00:00:00:09',
    });
    expect(created.subnet?.events).toMatchObject([
      { type: 'PrimaryAddressTaken', data: { ip: '10.0.1.5', eniId: ENI_1 } },
    ]);
    w.run({ type: 'RequestEniAttach', eniId: ENI_1, why: 'x' });
    w.run({ type: 'RecordEniAttached', intentId: 'c3:0', deviceIndex: 1 });
    expect(w.nodes[NODE]?.enis[ENI_1]).toMatchObject({ state: 'attached', deviceIndex: 1 });
    w.run({ type: 'RequestEniDetach', eniId: ENI_1, why: 'x' });
    w.run({ type: 'RecordEniDetached', intentId: 'c5:0' });
    w.run({ type: 'RequestEniDelete', eniId: ENI_1, why: 'x' });
    const deleted = w.run({ type: 'RecordEniDeleted', intentId: 'c7:0' });
    expect(deleted.subnet?.events).toMatchObject([{ type: 'PrimaryAddressFreed', data: { ip: '10.0.1.5' } }]);
    expect(w.subnets[SUBNET_A]?.addresses).toEqual({});
  });
});

describe('cross-stream: static IP (DESIGN 1.1 on-demand and claims)', () => {
  const web0 = pod('web-0');
  const allocate = (w: World, containerId: string, poolPolicy = 'on-demand', policy = 'Never', node = NODE) =>
    w.run({ type: 'AllocateStaticIp', pod: web0, containerId, policy, poolPolicy }, node);

  it('new pod, on-demand: pick 1 IP from the ENI subnet, bind it at once, claim it; allocate once bound', () => {
    const w = world();
    const d = allocate(w, 'k1');
    expect(d.node).toMatchObject([{ type: 'IpBindRequested', data: { ips: ['10.0.1.2'], forPod: 'default/web-0' } }]);
    expect(d.subnet?.events.map((e) => e.type)).toEqual(['AddressesReserved', 'ClaimCreated']);
    expect(allocate(w, 'k1').node).toMatchObject([{ type: 'AllocationRefused', data: { code: 'PoolExhausted' } }]);
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    expect(allocate(w, 'k1').node).toMatchObject([{ type: 'IpAllocated', data: { ip: '10.0.1.2', claim: 'Never' } }]);
    expect(allocate(w, 'k1').node).toEqual([]);
  });

  it('pod deleted: IP unbound back to the subnet; Never keeps the claim; the recreated pod gets the same IP (invariant 7)', () => {
    const w = world({
      'node-b': [nodeRegistered(undefined, 'node-b'), ...eniReady('eni-bbbb0001', SUBNET_A, '10.0.1.6')],
    });
    allocate(w, 'k1');
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    allocate(w, 'k1');
    const rel = w.run({ type: 'ReleaseStaticIp', containerId: 'k1', why: 'pod deleted', claimExpiryMs: 600_000 });
    expect(rel.node.map((e) => e.type)).toEqual(['IpReleased', 'IpUnbindRequested']);
    expect(rel.node[1]).toMatchObject({ data: { intentId: 'c4:1', clientToken: 'c4:1', ips: ['10.0.1.2'] } });
    expect(rel.subnet?.events).toMatchObject([{ type: 'ClaimRetained', data: { ip: '10.0.1.2' } }]);
    // still bound on node-a: the pod, rescheduled to node-b, must wait
    expect(allocate(w, 'k2', 'on-demand', 'Never', 'node-b').node).toMatchObject([{ data: { code: 'ClaimConflict' } }]);
    w.run({ type: 'RecordIpsUnbound', intentId: 'c4:1' });
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.2']).toBeUndefined();
    const again = allocate(w, 'k2', 'on-demand', 'Never', 'node-b');
    expect(again.node).toMatchObject([{ type: 'IpBindRequested', data: { ips: ['10.0.1.2'], eniId: 'eni-bbbb0001' } }]);
    expect(again.subnet?.events.map((e) => e.type)).toEqual(['AddressesReserved', 'ClaimReused']);
  });

  it('Immediate: the claim is dropped with the pod', () => {
    const w = world();
    allocate(w, 'k1', 'on-demand', 'Immediate');
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    allocate(w, 'k1', 'on-demand', 'Immediate');
    const rel = w.run({ type: 'ReleaseStaticIp', containerId: 'k1', why: 'pod deleted', claimExpiryMs: null });
    expect(rel.subnet?.events).toMatchObject([{ type: 'ClaimDeleted' }]);
    expect(w.run({ type: 'ReleaseStaticIp', containerId: 'k1', why: 'again', claimExpiryMs: null })).toEqual({
      node: [],
    });
  });

  it('warm pool and policy Never: a warm IP in least-ENI order, now claimed', () => {
    const w = world();
    w.run({ type: 'BindIps', eniId: ENI_1, count: 2, why: 'min' });
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    const d = allocate(w, 'k1', 'warm');
    expect(d.node).toMatchObject([{ type: 'IpAllocated', data: { ip: '10.0.1.2', claim: 'Never' } }]);
    expect(d.subnet?.events).toMatchObject([{ type: 'ClaimCreated', data: { ip: '10.0.1.2', policy: 'Never' } }]);
    expect(allocate(w, 'k9', 'warm').node).toMatchObject([
      { type: 'AllocationRefused', data: { code: 'ClaimConflict' } },
    ]);
  });

  it('a static pod never moves across subnets: no ENI in the claim subnet -> ClaimInOtherSubnet', () => {
    const w = world({
      'node-b': [nodeRegistered(undefined, 'node-b'), ...eniReady('eni-bbbb0001', SUBNET_B, '10.0.2.6')],
    });
    allocate(w, 'k1');
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    allocate(w, 'k1');
    w.run({ type: 'ReleaseStaticIp', containerId: 'k1', why: 'pod deleted', claimExpiryMs: null });
    w.run({ type: 'RecordIpsUnbound', intentId: 'c4:1' });
    expect(allocate(w, 'k2', 'on-demand', 'Never', 'node-b').node).toMatchObject([
      { type: 'AllocationRefused', data: { code: 'ClaimInOtherSubnet' } },
    ]);
  });

  it('a pod name with a claim gets its claimed IP even through AllocateIp, and gives it back through the claim', () => {
    const w = world();
    w.run({ type: 'BindIps', eniId: ENI_1, count: 2, why: 'min' });
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    allocate(w, 'k1', 'warm');
    w.run({ type: 'ReleaseStaticIp', containerId: 'k1', why: 'gone', claimExpiryMs: null });
    w.run({ type: 'RecordIpUnbindFailed', intentId: 'c4:1', errorCode: 'CloudRetryable', message: 'busy' });
    const d = w.run({ type: 'AllocateIp', pod: web0, containerId: 'k2' });
    expect(d.node).toMatchObject([{ type: 'IpAllocated', data: { ip: '10.0.1.2', claim: 'Never' } }]);
    expect(d.subnet?.events).toMatchObject([{ type: 'ClaimReused' }]);
    const r = w.run({ type: 'ReleaseIp', containerId: 'k2', why: 'DEL' });
    expect(r.node.map((e) => e.type)).toEqual(['IpReleased', 'IpUnbindRequested']);
    expect(r.subnet?.events).toMatchObject([{ type: 'ClaimRetained' }]);
  });

  it('no ENI with room and a free address: refused; draining and unknown nodes too', () => {
    const w = world({ [NODE]: [nodeRegistered()] });
    expect(allocate(w, 'k1').node).toMatchObject([{ data: { code: 'PoolExhausted' } }]);
    expect(allocate(w, 'k1', 'warm').node).toEqual([]);
    const d = world({ [NODE]: [nodeRegistered(), { type: 'NodeDrainStarted', data: { reason: 'x' } }] });
    expect(allocate(d, 'k1').node).toMatchObject([{ data: { code: 'NodeDraining' } }]);
    expect(() => allocate(world(), 'k1', 'on-demand', 'Never', 'node-z')).toThrow(/not registered/);
  });
});

describe('cross-stream: an address the cloud gave to a new ENI as its primary', () => {
  const NODE_B = 'node-b';
  const setUp = () => {
    const w = new World(
      {
        [NODE]: [nodeRegistered(), ...eniReady(ENI_1, SUBNET_A, '10.0.1.6')],
        [NODE_B]: [nodeRegistered(undefined, NODE_B)],
      },
      { [SUBNET_A]: [subnetRegistered(SUBNET_A, '10.0.1.0/29')] },
    );
    w.run({ type: 'BindIps', eniId: ENI_1, ips: ['10.0.1.2'], why: 'min' });
    w.run({ type: 'RecordIpsBound', intentId: 'c1:0' });
    w.run({ type: 'AllocateIp', pod: pod('web-1'), containerId: 'k1' });
    w.run({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'exclusive pod' }, NODE_B);
    return w;
  };
  const created = {
    type: 'RecordEniCreated',
    intentId: 'c4:0',
    eniId: 'eni-bbbb0001',
    primaryIp: '10.0.1.2',
    mac: '52:54:00:aa:00:01',
  };

  it('given the address bound on another ENI, recording the new ENI is refused: never two ENIs with one address', () => {
    const w = setUp();
    const before = JSON.stringify([w.nodes, w.subnets]);
    expect(() => w.run(created, NODE_B)).toThrow(/10\.0\.1\.2 is bound for ENI eni-aaaa0001 on node-a/);
    expect(JSON.stringify([w.nodes, w.subnets])).toBe(before);
  });

  it('given the address only reserved elsewhere (a bind in flight), the new ENI takes it: that bind fails, nothing freed twice', () => {
    const w = new World(
      {
        [NODE]: [nodeRegistered(), ...eniReady(ENI_1, SUBNET_A, '10.0.1.6')],
        [NODE_B]: [nodeRegistered(undefined, NODE_B)],
      },
      { [SUBNET_A]: [subnetRegistered(SUBNET_A, '10.0.1.0/29')] },
    );
    w.run({ type: 'BindIps', eniId: ENI_1, ips: ['10.0.1.2'], why: 'min' });
    w.run({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'exclusive pod' }, NODE_B);
    w.run({ ...created, intentId: 'c2:0' }, NODE_B);
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.2']).toMatchObject({ status: 'primary', node: NODE_B });
    const failed = w.run({
      type: 'RecordIpBindFailed',
      intentId: 'c1:0',
      errorCode: 'CloudInvalidState',
      message: 'in use',
    });
    expect(failed.subnet?.events).toEqual([]); // the address is the new ENI's now
    expect(w.nodes[NODE]?.enis[ENI_1]?.ips['10.0.1.2']).toBeUndefined();
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.2']).toMatchObject({ status: 'primary', node: NODE_B });
  });

  it('when the holder records the address lost, its pod is released, the address freed, and the new ENI can take it', () => {
    const w = setUp();
    const d = w.run({
      type: 'RecordIpsLost',
      eniId: ENI_1,
      ips: ['10.0.1.2', '10.0.1.3'],
      why: 'primary of a new ENI',
    });
    expect(d.node.map((e) => e.type)).toEqual(['IpReleased', 'IpsLost']);
    expect(d.node[1]).toMatchObject({ data: { ips: ['10.0.1.2'], intentId: 'c5:1' } }); // .3 was never bound
    expect(d.subnet?.events).toMatchObject([{ type: 'AddressesFreed', data: { ips: ['10.0.1.2'], why: 'lost' } }]);
    expect(w.nodes[NODE]?.allocations.k1).toBeUndefined();
    expect(w.nodes[NODE]?.enis[ENI_1]?.ips['10.0.1.2']).toBeUndefined();
    w.run(created, NODE_B);
    expect(w.subnets[SUBNET_A]?.addresses['10.0.1.2']).toMatchObject({ status: 'primary', node: NODE_B });
    // recorded again: nothing more (the address is no longer on the ENI)
    expect(w.run({ type: 'RecordIpsLost', eniId: ENI_1, ips: ['10.0.1.2'], why: 'again' }).node).toEqual([]);
  });
});
