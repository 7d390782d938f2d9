import { describe, expect, it } from 'vitest';
import {
  ENI_1,
  ENI_2,
  eniReady,
  ipAllocated,
  ipsBound,
  meta,
  NODE,
  nodeRegistered,
  nodeSpec,
  pod,
  SUBNET_A,
} from '../testing/index.js';
import type { NodeCommand } from './commands.js';

const cmd = (c: Record<string, unknown>, n = 1) => ({ ...meta(n), node: NODE, ...c }) as NodeCommand;
const allocate = (containerId: string, name = containerId) => cmd({ type: 'AllocateIp', pod: pod(name), containerId });
const twoEnis = [
  nodeRegistered(),
  ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12']),
  ...eniReady(ENI_2, SUBNET_A, '10.0.1.20', ['10.0.1.21', '10.0.1.22']),
];

describe('node decider: shared-mode allocation (DESIGN 1.1)', () => {
  it('a new pod takes a free IP on the ENI with the most allocated IPs (least ENI)', () =>
    nodeSpec
      .given([...twoEnis, ipAllocated('k1', pod('p1'), '10.0.1.21', ENI_2)])
      .when(allocate('k2'))
      .thenMatches([{ type: 'IpAllocated', data: { ip: '10.0.1.22', eniId: ENI_2, containerId: 'k2' } }]));

  it('ties between ENIs go to the lower ENI id, then the lower IP', () =>
    nodeSpec
      .given(twoEnis)
      .when(allocate('k1'))
      .thenMatches([{ type: 'IpAllocated', data: { ip: '10.0.1.11', eniId: ENI_1 } }]));

  it('ADD retried for the same container allocates nothing new', () =>
    nodeSpec
      .given([...twoEnis, ipAllocated('k1', pod('k1'), '10.0.1.11', ENI_1)])
      .when(allocate('k1'))
      .thenNothingHappened());

  it('a container id already used by another pod is bad input', () =>
    nodeSpec
      .given([...twoEnis, ipAllocated('k1', pod('other'), '10.0.1.11', ENI_1)])
      .when(allocate('k1'))
      .thenThrows('InvalidInput'));

  it('no free IP: refused with PoolExhausted "pool empty and refilling", recorded once', () => {
    const refused = nodeSpec
      .given([nodeRegistered()])
      .when(allocate('k1'))
      .thenMatches([
        {
          type: 'AllocationRefused',
          data: { code: 'PoolExhausted', reason: 'pool empty and refilling', mode: 'shared' },
        },
      ]);
    nodeSpec
      .given([nodeRegistered(), ...refused])
      .when(allocate('k1'))
      .thenNothingHappened();
  });

  it('a released pod IP goes back to the node pool, not to the VPC', () => {
    const given = [...twoEnis, ipAllocated('k1', pod('p1'), '10.0.1.11', ENI_1)];
    const s = nodeSpec
      .given(given)
      .when(cmd({ type: 'ReleaseIp', containerId: 'k1', why: 'CNI DEL' }))
      .state();
    expect(s.allocations).toEqual({});
    expect(s.enis[ENI_1]?.ips['10.0.1.11']?.status).toBe('bound');
    nodeSpec
      .given([
        ...given,
        { type: 'IpReleased', data: { pod: pod('p1'), containerId: 'k1', ip: '10.0.1.11', eniId: ENI_1, why: 'x' } },
      ])
      .when(allocate('k2'))
      .thenMatches([{ type: 'IpAllocated', data: { ip: '10.0.1.11' } }]);
  });

  it('DEL of an unknown container is a no-op', () =>
    nodeSpec
      .given(twoEnis)
      .when(cmd({ type: 'ReleaseIp', containerId: 'gone', why: 'DEL' }))
      .thenNothingHappened());

  it('a draining node refuses new pods with NodeDraining', () =>
    nodeSpec
      .given([...twoEnis, { type: 'NodeDrainStarted', data: { reason: 'node deleted' } }])
      .when(allocate('k1'))
      .thenMatches([{ type: 'AllocationRefused', data: { code: 'NodeDraining' } }]));

  it('an unknown node is NodeNotFound and nothing is decided', () =>
    nodeSpec.given([]).when(allocate('k1')).thenThrows('NodeNotFound'));

  it('an IP held for a claim is not handed to another pod', () =>
    nodeSpec
      .given([
        nodeRegistered(),
        ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
        {
          type: 'IpBindRequested',
          data: {
            intentId: 'i',
            clientToken: 'i',
            eniId: ENI_1,
            subnetId: SUBNET_A,
            ips: ['10.0.1.11'],
            why: 'claim',
            forPod: 'default/web-0',
          },
        },
        { type: 'IpsBound', data: { intentId: 'i', eniId: ENI_1, ips: ['10.0.1.11'] } },
      ])
      .when(allocate('k1'))
      .thenMatches([{ type: 'AllocationRefused', data: { code: 'PoolExhausted' } }]));
});

describe('node decider: exclusive mode (DESIGN 1.1)', () => {
  const pool = [
    nodeRegistered({ maxEnis: 3, ipsPerEni: 5 }),
    ...eniReady(ENI_2, SUBNET_A, '10.0.1.20'),
    ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
  ];
  const assign = (containerId: string) => cmd({ type: 'AssignEni', pod: pod(containerId), containerId });

  it('a pod takes an available ENI from the pool (lowest id)', () =>
    nodeSpec
      .given(pool)
      .when(assign('k1'))
      .thenMatches([{ type: 'EniAssigned', data: { eniId: ENI_1 } }]));

  it('on termination the ENI returns to the pool, it is not deleted', () => {
    const given = [
      ...pool,
      { type: 'EniAssigned' as const, data: { pod: pod('k1'), containerId: 'k1', eniId: ENI_1, why: 't' } },
    ];
    const s = nodeSpec
      .given(given)
      .when(cmd({ type: 'ReturnEni', containerId: 'k1', why: 'pod gone' }))
      .state();
    expect(s.enis[ENI_1]?.state).toBe('attached');
    expect(s.assignments).toEqual({});
  });

  it('max exclusive-ENI pods = max ENIs - 1: a third pod on a 3-ENI node is refused', () => {
    const given = [
      ...pool,
      { type: 'EniAssigned' as const, data: { pod: pod('k1'), containerId: 'k1', eniId: ENI_1, why: 't' } },
      { type: 'EniAssigned' as const, data: { pod: pod('k2'), containerId: 'k2', eniId: ENI_2, why: 't' } },
    ];
    nodeSpec
      .given(given)
      .when(assign('k3'))
      .thenMatches([{ type: 'AllocationRefused', data: { code: 'PoolExhausted', mode: 'exclusive' } }]);
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'more' }))
      .thenThrows('LimitExceeded');
  });

  it('AssignEni retried for the same container assigns nothing new', () =>
    nodeSpec
      .given([...pool, { type: 'EniAssigned', data: { pod: pod('k1'), containerId: 'k1', eniId: ENI_1, why: 't' } }])
      .when(assign('k1'))
      .thenNothingHappened());
});

describe('node decider: ENI and IP intents and outcomes', () => {
  it('an ENI create intent carries a client token derived from its event id', () =>
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'pool below min' }, 7))
      .thenEvents([
        {
          type: 'EniCreateRequested',
          data: { intentId: 'c7:0', clientToken: 'c7:0', subnetId: SUBNET_A, why: 'pool below min' },
        },
      ]));

  it('an outcome for an unknown or already resolved intent is ignored', () => {
    const created = {
      type: 'RecordEniCreated',
      intentId: 'c7:0',
      eniId: ENI_1,
      primaryIp: '10.0.1.10',
      mac: '52:54:00:00:00:01',
    };
    nodeSpec.given([nodeRegistered()]).when(cmd(created)).thenNothingHappened();
    const given = [
      nodeRegistered(),
      {
        type: 'EniCreateRequested' as const,
        data: { intentId: 'c7:0', clientToken: 'c7:0', subnetId: SUBNET_A, why: 'x' },
      },
    ];
    const once = nodeSpec
      .given(given)
      .when(cmd(created))
      .thenMatches([{ type: 'EniCreated', data: { eniId: ENI_1, subnetId: SUBNET_A } }]);
    nodeSpec
      .given([...given, ...once])
      .when(cmd(created))
      .thenNothingHappened();
  });

  it('the ENI life cycle: created -> attach -> attached -> detach -> detached -> delete -> deleted', () => {
    let events = [...eniReady(ENI_1, SUBNET_A, '10.0.1.10')];
    const step = (c: Record<string, unknown>, n: number, type: string) => {
      const out = nodeSpec
        .given([nodeRegistered(), ...events])
        .when(cmd(c, n))
        .thenMatches([{ type }]);
      events = [...events, ...out];
    };
    step({ type: 'RequestEniDetach', eniId: ENI_1, why: 'idle' }, 1, 'EniDetachRequested');
    step({ type: 'RecordEniDetached', intentId: 'c1:0' }, 2, 'EniDetached');
    step({ type: 'RequestEniAttach', eniId: ENI_1, why: 'again' }, 3, 'EniAttachRequested');
    step(
      { type: 'RecordEniOperationFailed', intentId: 'c3:0', errorCode: 'CloudPermanent', message: 'no' },
      4,
      'EniOperationFailed',
    );
    step({ type: 'RequestEniDelete', eniId: ENI_1, why: 'idle' }, 5, 'EniDeleteRequested');
    const s = nodeSpec
      .given([nodeRegistered(), ...events])
      .when(cmd({ type: 'RecordEniDeleted', intentId: 'c5:0' }, 6))
      .state();
    expect(s.enis).toEqual({});
    expect(s.intents).toEqual({});
  });

  it('an ENI with secondary IPs cannot be detached; a detached one cannot be detached again', () => {
    const given = [nodeRegistered(), ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11'])];
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestEniDetach', eniId: ENI_1, why: 'x' }))
      .thenThrows('IllegalTransition');
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestEniDelete', eniId: ENI_1, why: 'x' }))
      .thenThrows('IllegalTransition');
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestEniAttach', eniId: ENI_1, why: 'x' }))
      .thenThrows('IllegalTransition');
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestEniDetach', eniId: ENI_2, why: 'x' }))
      .thenThrows('EniNotFound');
  });

  it('bound IPs per ENI never exceed IPs per ENI - 1 (the primary IP takes one slot)', () => {
    const given = [
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12', '10.0.1.13']),
    ];
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestIpBind', eniId: ENI_1, ips: ['10.0.1.14'], why: 'min' }))
      .thenMatches([{ type: 'IpBindRequested' }]);
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestIpBind', eniId: ENI_1, ips: ['10.0.1.14', '10.0.1.15'], why: 'min' }))
      .thenThrows('LimitExceeded');
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestIpBind', eniId: ENI_1, ips: ['10.0.1.11'], why: 'min' }))
      .thenThrows('IllegalTransition');
  });

  it('unbind takes idle bound IPs only; its outcomes free or restore them', () => {
    const given = [
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12']),
      ipAllocated('k1', pod('p'), '10.0.1.11', ENI_1),
    ];
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestIpUnbind', eniId: ENI_1, ips: ['10.0.1.11'], why: 'x' }))
      .thenThrows('IllegalTransition');
    const req = nodeSpec
      .given(given)
      .when(cmd({ type: 'RequestIpUnbind', eniId: ENI_1, ips: ['10.0.1.12'], why: 'above max' }))
      .thenMatches([{ type: 'IpUnbindRequested' }]);
    const failed = nodeSpec
      .given([...given, ...req])
      .when(
        cmd({ type: 'RecordIpUnbindFailed', intentId: 'c1:0', errorCode: 'CloudRetryable', message: 'throttled' }, 2),
      )
      .state();
    expect(failed.enis[ENI_1]?.ips['10.0.1.12']?.status).toBe('bound');
    const done = nodeSpec
      .given([...given, ...req])
      .when(cmd({ type: 'RecordIpsUnbound', intentId: 'c1:0' }, 2))
      .state();
    expect(done.enis[ENI_1]?.ips['10.0.1.12']).toBeUndefined();
  });

  it('a failed bind removes the binding IPs; a successful one marks them bound', () => {
    const given = [
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      ...ipsBound(ENI_1, SUBNET_A, ['10.0.1.11'], 'b1').slice(0, 1),
    ];
    const failed = nodeSpec
      .given(given)
      .when(cmd({ type: 'RecordIpBindFailed', intentId: 'b1', errorCode: 'CloudCapacity', message: 'full' }))
      .state();
    expect(failed.enis[ENI_1]?.ips).toEqual({});
    const ok = nodeSpec
      .given(given)
      .when(cmd({ type: 'RecordIpsBound', intentId: 'b1' }))
      .state();
    expect(ok.enis[ENI_1]?.ips['10.0.1.11']?.status).toBe('bound');
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RecordEniAttached', intentId: 'b1' }))
      .thenNothingHappened();
    nodeSpec
      .given(given)
      .when(cmd({ type: 'RecordEniOperationFailed', intentId: 'b1', errorCode: 'X', message: '' }))
      .thenNothingHappened();
  });
});

describe('node decider: node life cycle', () => {
  it('registering twice the same way is a no-op; differently is refused', () => {
    const c = {
      type: 'RegisterNode',
      instanceId: 'ins-00000001',
      zone: 'ap-guangzhou-3',
      limits: { maxEnis: 4, ipsPerEni: 5 },
    };
    nodeSpec.given([nodeRegistered()]).when(cmd(c)).thenNothingHappened();
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd({ ...c, zone: 'other' }))
      .thenThrows('IllegalTransition');
    nodeSpec
      .given([])
      .when(cmd(c))
      .thenMatches([{ type: 'NodeRegistered' }]);
  });

  it('limits change is recorded with the previous limits', () =>
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd({ type: 'ChangeNodeLimits', limits: { maxEnis: 2, ipsPerEni: 5 } }))
      .thenEvents([
        {
          type: 'NodeLimitsChanged',
          data: { limits: { maxEnis: 2, ipsPerEni: 5 }, previous: { maxEnis: 4, ipsPerEni: 5 } },
        },
      ]));

  it('deleting a node: drain, then removal only once every ENI is deleted', () => {
    const drained = [
      nodeRegistered(),
      ...eniReady(ENI_1, SUBNET_A, '10.0.1.10'),
      { type: 'NodeDrainStarted' as const, data: { reason: 'gone' } },
    ];
    nodeSpec
      .given(drained)
      .when(cmd({ type: 'DrainNode', reason: 'gone' }))
      .thenNothingHappened();
    nodeSpec
      .given(drained)
      .when(cmd({ type: 'RemoveNode', reason: 'gone' }))
      .thenThrows('IllegalTransition');
    nodeSpec
      .given(drained)
      .when(cmd({ type: 'RequestEniCreate', subnetId: SUBNET_A, why: 'x' }))
      .thenThrows('NodeDraining');
    nodeSpec
      .given(drained)
      .when(cmd({ type: 'RequestEniDetach', eniId: ENI_1, why: 'node draining' }))
      .thenMatches([{ type: 'EniDetachRequested' }]);
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd({ type: 'RemoveNode', reason: 'gone' }))
      .thenMatches([{ type: 'NodeRemoved' }]);
    nodeSpec
      .given([nodeRegistered(), { type: 'NodeRemoved', data: { reason: 'x' } }])
      .when(cmd({ type: 'RemoveNode', reason: 'gone' }))
      .thenNothingHappened();
  });
});

describe('node commands: bad input gets a typed error and no event', () => {
  it.each([
    {
      name: 'malformed node name',
      c: { type: 'AllocateIp', node: 'Node_A', pod: pod('p'), containerId: 'k' },
      code: 'InvalidNodeName',
    },
    { name: 'malformed ENI id', c: { type: 'RequestEniAttach', eniId: 'eni-ABC', why: 'x' }, code: 'InvalidEniId' },
    {
      name: 'malformed subnet id',
      c: { type: 'RequestEniCreate', subnetId: 'subnet-1', why: 'x' },
      code: 'InvalidSubnetId',
    },
    {
      name: 'malformed IP',
      c: { type: 'RequestIpBind', eniId: ENI_1, ips: ['10.0.1.256'], why: 'x' },
      code: 'InvalidIp',
    },
    { name: 'missing field', c: { type: 'AllocateIp', pod: pod('p') }, code: 'InvalidInput' },
    { name: 'wrong field type', c: { type: 'ReleaseIp', containerId: 42, why: 'x' }, code: 'InvalidInput' },
    { name: 'unknown field', c: { type: 'DrainNode', reason: 'x', extra: true }, code: 'InvalidInput' },
    { name: 'unknown command', c: { type: 'Teleport' }, code: 'UnknownCommand' },
    { name: 'bad command id', c: { type: 'DrainNode', reason: 'x', id: 'has space' }, code: 'InvalidInput' },
  ])('$name -> $code', ({ c, code }) =>
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd(c))
      .thenThrows(code as never));

  it('a command for another node is refused', () =>
    nodeSpec
      .given([nodeRegistered()])
      .when(cmd({ type: 'DrainNode', reason: 'x', node: 'node-b' }))
      .thenThrows('InvalidInput'));
});
