/** The simulated VPC's rules, on the model directly (no HTTP): given a state, when an action, then. */
import { describe, expect, it } from 'vitest';
import { testSeed } from '../testing/index.js';
import { dispatch } from './dispatch.js';
import { SimApiError } from './sim-error.js';
import { stateFromSeed } from './state.js';
import { defaultTaskDurations, type ModelContext, VpcModel } from './vpc-model.js';

let ids = 0;
const given = () => new VpcModel(stateFromSeed(testSeed(), '2026-01-01T00:00:00.000Z'));
const ctx = (now: number, over: Partial<ModelContext> = {}): ModelContext => ({
  now,
  requestId: `req-${++ids}`,
  durations: { ...defaultTaskDurations, AttachNetworkInterface: 100 },
  taskFails: false,
  newEniId: () => `eni-${String(++ids).padStart(8, '0')}`,
  ...over,
});
const create = (m: VpcModel, now = 0) =>
  m.createEni(ctx(now), { VpcId: 'vpc-test0001', SubnetId: 'subnet-pods0001', NetworkInterfaceName: 'n' });
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof SimApiError) return e.code;
    throw e;
  }
  return undefined;
};

describe('VpcModel', () => {
  it('gives the lowest free addresses, skipping the reserved network and gateway addresses', () => {
    const m = given();
    const eni = create(m);
    expect(eni.primaryIp).toBe('10.1.0.2');
    expect(m.assignIps(ctx(0), { NetworkInterfaceId: eni.eniId, SecondaryPrivateIpAddressCount: 2 })).toEqual([
      '10.1.0.3',
      '10.1.0.4',
    ]);
  });

  it('an attach is ATTACHING until its task settles, then AVAILABLE on the instance', () => {
    const m = given();
    const eni = create(m);
    const c = ctx(1_000);
    m.attachEni(c, { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' });
    expect(m.eni(eni.eniId).state).toBe('ATTACHING');
    expect(m.task(c.requestId).status).toBe('RUNNING');
    m.settle(1_099);
    expect(m.task(c.requestId).status).toBe('RUNNING');
    m.settle(1_100);
    expect(m.task(c.requestId).status).toBe('SUCCESS');
    expect(m.eni(eni.eniId)).toMatchObject({ state: 'AVAILABLE', instanceId: 'ins-00000000', deviceIndex: 1 });
  });

  it('while the attach runs: detach is InvalidState, assign is MutexOperationTaskRunning', () => {
    const m = given();
    const eni = create(m);
    m.attachEni(ctx(0), { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' });
    expect(codeOf(() => m.detachEni(ctx(1), { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' }))).toBe(
      'UnsupportedOperation.InvalidState',
    );
    expect(
      codeOf(() => m.assignIps(ctx(1), { NetworkInterfaceId: eni.eniId, SecondaryPrivateIpAddressCount: 1 })),
    ).toBe('UnsupportedOperation.MutexOperationTaskRunning');
  });

  it('a failed attach task undoes the attach', () => {
    const m = given();
    const eni = create(m);
    m.attachEni(ctx(0, { taskFails: true }), { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' });
    m.settle(1_000);
    expect(m.eni(eni.eniId).state).toBe('AVAILABLE');
    expect(m.eni(eni.eniId).instanceId).toBeUndefined();
  });

  it('an ENI in another zone cannot attach (ZoneMismatch)', () => {
    const m = given();
    const eni = m.createEni(ctx(0), { VpcId: 'vpc-test0001', SubnetId: 'subnet-other001', NetworkInterfaceName: 'n' });
    expect(codeOf(() => m.attachEni(ctx(0), { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' }))).toBe(
      'UnsupportedOperation.ZoneMismatch',
    );
  });

  it('a failed refusal changes nothing: the subnet count is as before', () => {
    const m = given();
    const eni = create(m);
    const before = m.availableCount('subnet-pods0001');
    expect(
      codeOf(() => m.assignIps(ctx(0), { NetworkInterfaceId: eni.eniId, SecondaryPrivateIpAddressCount: 10 })),
    ).toBe('LimitExceeded');
    expect(m.availableCount('subnet-pods0001')).toBe(before);
  });
});

describe('ClientToken idempotency (dispatch)', () => {
  const params = { NetworkInterfaceId: '', SecondaryPrivateIpAddressCount: 2, ClientToken: 'tok' };
  it('same token and parameters: the first result again, no second effect', () => {
    const m = given();
    const eni = create(m);
    const p = { ...params, NetworkInterfaceId: eni.eniId };
    const a = dispatch(m, 'AssignPrivateIpAddresses', p, ctx(0));
    const b = dispatch(m, 'AssignPrivateIpAddresses', p, ctx(0));
    expect(b).toEqual(a);
    expect(m.eni(eni.eniId).secondaryIps).toHaveLength(2);
  });

  it('same token, other parameters: IdempotentParameterMismatch', () => {
    const m = given();
    const eni = create(m);
    dispatch(m, 'AssignPrivateIpAddresses', { ...params, NetworkInterfaceId: eni.eniId }, ctx(0));
    expect(
      codeOf(() =>
        dispatch(
          m,
          'AssignPrivateIpAddresses',
          { ...params, NetworkInterfaceId: eni.eniId, SecondaryPrivateIpAddressCount: 3 },
          ctx(0),
        ),
      ),
    ).toBe('UnsupportedOperation.IdempotentParameterMismatch');
  });
});

describe('retention', () => {
  it('settled tasks and their ClientToken records are forgotten after the retention time; running ones are kept', () => {
    const m = new VpcModel(stateFromSeed(testSeed(), '2026-01-01T00:00:00.000Z'), 1_000);
    const eni = create(m);
    const first = ctx(0);
    dispatch(
      m,
      'AssignPrivateIpAddresses',
      { NetworkInterfaceId: eni.eniId, SecondaryPrivateIpAddressCount: 1, ClientToken: 't' },
      first,
    );
    const slow = ctx(0, { durations: { ...defaultTaskDurations, AttachNetworkInterface: 10 * 60_000 } });
    m.attachEni(slow, { NetworkInterfaceId: eni.eniId, InstanceId: 'ins-00000000' });
    m.settle(61_000);
    expect(codeOf(() => m.task(first.requestId))).toBe('ResourceNotFound');
    expect(Object.keys(m.state.idempotency)).toEqual([]);
    expect(m.task(slow.requestId).status).toBe('RUNNING');
  });
});
