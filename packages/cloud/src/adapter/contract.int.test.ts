/**
 * The contract of `VpcApi`, run through the real SDK adapter against the simulator over HTTP:
 * every action, its results, its typed errors.
 */
import { type IpamError, isIpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, startTestSimulator, TEST_CREDENTIALS, TEST_VPC } from '../testing/index.js';

/** Temporary credentials: the session token must come along as X-TC-Token. */
const TEMP_CREDENTIALS = { secretId: 'AKIDtemporary', secretKey: 'temp-key', token: 'session-token-1' };

import type { TencentVpcApi } from './tencent-vpc-api.js';

let sim: VpcSimulator;
let api: TencentVpcApi;
const PODS = 'subnet-pods0001';
const TINY = 'subnet-tiny0001';
const INS = 'ins-00000000';
let n = 0;
const token = (what: string) => `${what}-${++n}`;

const rejectsWith = async (p: Promise<unknown>, code: string, vendorCode?: string): Promise<IpamError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isIpamError(e), `expected an IpamError ${code}, got ${String(e)}`).toBe(true);
  const err = e as IpamError;
  expect(err.code).toBe(code);
  if (vendorCode) expect(err.details.vendorCode).toBe(vendorCode);
  return err;
};

const create = (subnetId = PODS, tags: { key: string; value: string }[] = []) =>
  api.createEni({ clientToken: token('create'), vpcId: TEST_VPC, subnetId, name: 'eni-ipam-test', tags });

beforeAll(async () => {
  sim = await startTestSimulator({ credentials: [TEST_CREDENTIALS, TEMP_CREDENTIALS] });
  api = adapterFor(sim);
});
afterAll(() => sim.stop());

describe('createEni', () => {
  it('creates an AVAILABLE ENI with a primary IP, tagged with the cluster and intent', async () => {
    const eni = await api.createEni({
      clientToken: 'intent-create-1',
      vpcId: TEST_VPC,
      subnetId: PODS,
      name: 'n',
      tags: [{ key: 'team', value: 'net' }],
    });
    expect(eni).toMatchObject({ subnetId: PODS, vpcId: TEST_VPC, state: 'AVAILABLE', secondaryIps: [] });
    expect(eni.eniId).toMatch(/^eni-[0-9a-z]{8}$/);
    expect(eni.primaryIp).toMatch(/^10\.1\.0\.\d+$/);
    expect(eni.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'net' },
        { key: 'eni-ipam/cluster', value: 'cls-test' },
        { key: 'eni-ipam/intent', value: 'intent-create-1' },
      ]),
    );
  });

  it('a repeat with the same ClientToken returns the same ENI, never a second one', async () => {
    const req = { clientToken: 'intent-repeat', vpcId: TEST_VPC, subnetId: PODS, name: 'n', tags: [] };
    const a = await api.createEni(req);
    const b = await api.createEni(req);
    expect(b.eniId).toBe(a.eniId);
    expect(sim.dump({ key: 'eni-ipam/intent', value: 'intent-repeat' }).enis).toHaveLength(1);
  });

  it('the same ClientToken with other parameters is refused (IdempotentParameterMismatch)', async () => {
    await api.createEni({ clientToken: 'intent-mismatch', vpcId: TEST_VPC, subnetId: PODS, name: 'a', tags: [] });
    await rejectsWith(
      api.createEni({ clientToken: 'intent-mismatch', vpcId: TEST_VPC, subnetId: PODS, name: 'b', tags: [] }),
      'CloudPermanent',
      'UnsupportedOperation.IdempotentParameterMismatch',
    );
  });

  it('findEniByIntent finds it by tag; an unknown intent finds nothing', async () => {
    const eni = await api.createEni({
      clientToken: 'intent-find',
      vpcId: TEST_VPC,
      subnetId: PODS,
      name: 'n',
      tags: [],
    });
    expect((await api.findEniByIntent('intent-find'))?.eniId).toBe(eni.eniId);
    expect(await api.findEniByIntent('intent-never')).toBeUndefined();
  });

  it('an unknown subnet is a permanent error', async () => {
    await rejectsWith(create('subnet-nothere1'), 'CloudPermanent', 'ResourceNotFound');
  });

  it('with primaryIp, the ENI gets that primary; an address in use is refused (ResourceInUse)', async () => {
    const ask = (primaryIp: string) =>
      api.createEni({ clientToken: token('create'), vpcId: TEST_VPC, subnetId: PODS, name: 'n', tags: [], primaryIp });
    const eni = await ask('10.1.0.222');
    expect(eni.primaryIp).toBe('10.1.0.222');
    expect(eni.secondaryIps).toEqual([]);
    await rejectsWith(ask('10.1.0.222'), 'CloudInvalidState', 'ResourceInUse');
    await expect(ask('10.1.0')).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('an exhausted subnet is a capacity error (the /29 holds 5 usable addresses)', async () => {
    for (let i = 0; i < 5; i++) await create(TINY);
    await rejectsWith(create(TINY), 'CloudCapacity', 'ResourceInsufficient.Subnet');
  });
});

describe('attachEni / detachEni', () => {
  it('attaches (waiting for the task), shows the instance and a device index, then detaches', async () => {
    const eni = await create();
    await api.attachEni({ clientToken: token('attach'), eniId: eni.eniId, instanceId: INS });
    const [attached] = await api.describeEnis({ eniIds: [eni.eniId] });
    expect(attached).toMatchObject({ state: 'AVAILABLE', instanceId: INS });
    expect(attached?.deviceIndex).toBeGreaterThan(0);
    await api.detachEni({ clientToken: token('detach'), eniId: eni.eniId, instanceId: INS });
    const [detached] = await api.describeEnis({ eniIds: [eni.eniId] });
    expect(detached?.state).toBe('AVAILABLE');
    expect(detached?.instanceId).toBeUndefined();
  });

  it('past the instance ENI quota (maxEnis includes the primary) is a capacity error', async () => {
    const ins = 'ins-00000001';
    for (let i = 0; i < 3; i++) {
      const e = await create();
      await api.attachEni({ clientToken: token('attach'), eniId: e.eniId, instanceId: ins });
    }
    const extra = await create();
    await rejectsWith(
      api.attachEni({ clientToken: token('attach'), eniId: extra.eniId, instanceId: ins }),
      'CloudCapacity',
      'LimitExceeded',
    );
    expect(await api.describeEnis({ instanceId: ins })).toHaveLength(3);
  });

  it('detaching an ENI not attached to that instance is an invalid-state error', async () => {
    const eni = await create();
    await rejectsWith(
      api.detachEni({ clientToken: token('detach'), eniId: eni.eniId, instanceId: INS }),
      'CloudInvalidState',
      'UnsupportedOperation.AttachmentNotFound',
    );
  });

  it('an unknown instance is a permanent error', async () => {
    const eni = await create();
    await rejectsWith(
      api.attachEni({ clientToken: token('a'), eniId: eni.eniId, instanceId: 'ins-nothere1' }),
      'CloudPermanent',
      'ResourceNotFound',
    );
  });
});

describe('deleteEni', () => {
  it('deletes a detached ENI; it is gone from describe and its addresses return to the subnet', async () => {
    const before = (await api.describeSubnets([PODS]))[0]?.availableIps ?? 0;
    const eni = await create();
    await api.deleteEni({ clientToken: token('delete'), eniId: eni.eniId });
    expect(await api.describeEnis({ eniIds: [eni.eniId] })).toEqual([]);
    expect((await api.describeSubnets([PODS]))[0]?.availableIps).toBe(before);
  });

  it('deleting an attached ENI is refused as a wrong state (ResourceInUse)', async () => {
    const eni = await create();
    await api.attachEni({ clientToken: token('attach'), eniId: eni.eniId, instanceId: 'ins-00000000' });
    await rejectsWith(
      api.deleteEni({ clientToken: token('delete'), eniId: eni.eniId }),
      'CloudInvalidState',
      'ResourceInUse',
    );
    await api.detachEni({ clientToken: token('detach'), eniId: eni.eniId, instanceId: 'ins-00000000' });
  });

  it('deleting an unknown ENI is a permanent error', async () => {
    await rejectsWith(
      api.deleteEni({ clientToken: token('d'), eniId: 'eni-nothere1' }),
      'CloudPermanent',
      'ResourceNotFound',
    );
  });
});

describe('assignIps / unassignIps', () => {
  it('by count: the lowest free addresses; by address: exactly those; a repeat replays', async () => {
    const eni = await create();
    const picked = await api.assignIps({ clientToken: 'assign-count', eniId: eni.eniId, count: 3 });
    expect(picked).toHaveLength(3);
    expect(await api.assignIps({ clientToken: 'assign-count', eniId: eni.eniId, count: 3 })).toEqual(picked);
    const exact = await api.assignIps({
      clientToken: token('assign'),
      eniId: eni.eniId,
      ips: ['10.1.0.200', '10.1.0.201'],
    });
    expect(exact).toEqual(['10.1.0.200', '10.1.0.201']);
    const [now] = await api.describeEnis({ eniIds: [eni.eniId] });
    expect(now?.secondaryIps).toEqual([...picked, '10.1.0.200', '10.1.0.201']);
  });

  it('more than 10 addresses are sent in batches of 10 and all come back', async () => {
    const big = await startTestSimulator({
      seed: { ...(await import('../testing/index.js')).testSeed({ ipsPerEni: 30 }), unattachedIpsPerEni: 30 },
    });
    try {
      const a = adapterFor(big);
      const eni = await a.createEni({ clientToken: 'c', vpcId: TEST_VPC, subnetId: PODS, name: 'n', tags: [] });
      const ips = await a.assignIps({ clientToken: 'batch', eniId: eni.eniId, count: 25 });
      expect(new Set(ips).size).toBe(25);
      expect(big.stats().AssignPrivateIpAddresses?.OK).toBe(3);
      await a.unassignIps({ clientToken: 'u', eniId: eni.eniId, ips });
      expect(big.stats().UnassignPrivateIpAddresses?.OK).toBe(3);
      expect((await a.describeEnis({ eniIds: [eni.eniId] }))[0]?.secondaryIps).toEqual([]);
    } finally {
      await big.stop();
    }
  });

  it('an address in use, outside the subnet or reserved is refused with the matching code', async () => {
    const eni = await create();
    await api.assignIps({ clientToken: token('a'), eniId: eni.eniId, ips: ['10.1.0.150'] });
    await rejectsWith(
      api.assignIps({ clientToken: token('a'), eniId: eni.eniId, ips: ['10.1.0.150'] }),
      'CloudInvalidState',
      'ResourceInUse',
    );
    await rejectsWith(
      api.assignIps({ clientToken: token('a'), eniId: eni.eniId, ips: ['10.9.0.5'] }),
      'CloudPermanent',
      'InvalidParameterValue.Range',
    );
    for (const reserved of ['10.1.0.0', '10.1.0.1', '10.1.0.255'])
      await rejectsWith(
        api.assignIps({ clientToken: token('a'), eniId: eni.eniId, ips: [reserved] }),
        'CloudPermanent',
        'InvalidParameterValue.Reserved',
      );
  });

  it('past the ENI IP quota (including the primary) is a capacity error', async () => {
    const eni = await create();
    await api.assignIps({ clientToken: token('a'), eniId: eni.eniId, count: 9 });
    await rejectsWith(
      api.assignIps({ clientToken: token('a'), eniId: eni.eniId, count: 1 }),
      'CloudCapacity',
      'LimitExceeded',
    );
  });

  it('unassign returns the addresses to the subnet; an address not on the ENI is refused', async () => {
    const eni = await create();
    const ips = await api.assignIps({ clientToken: token('a'), eniId: eni.eniId, count: 2 });
    await api.unassignIps({ clientToken: token('u'), eniId: eni.eniId, ips });
    expect((await api.describeEnis({ eniIds: [eni.eniId] }))[0]?.secondaryIps).toEqual([]);
    await rejectsWith(
      api.unassignIps({ clientToken: token('u'), eniId: eni.eniId, ips }),
      'CloudPermanent',
      'ResourceNotFound',
    );
  });
});

describe('describe actions', () => {
  it('describeEnis filters by subnet, instance and tags, and pages past 100', async () => {
    const many = await startTestSimulator({
      seed: (await import('../testing/index.js')).testSeed({ podCidr: '10.1.0.0/22' }),
    });
    try {
      const a = adapterFor(many);
      for (let i = 0; i < 130; i++)
        await a.createEni({
          clientToken: `m${i}`,
          vpcId: TEST_VPC,
          subnetId: PODS,
          name: 'n',
          tags: [{ key: 'batch', value: i % 2 ? 'odd' : 'even' }],
        });
      expect(await a.describeEnis({})).toHaveLength(130);
      expect(await a.describeEnis({ subnetId: PODS, tags: [{ key: 'batch', value: 'odd' }] })).toHaveLength(65);
      expect(
        await a.describeEnis({ vpcId: TEST_VPC, tags: [{ key: 'eni-ipam/cluster', value: 'cls-test' }] }),
      ).toHaveLength(130);
      expect(await a.describeEnis({ subnetId: TINY })).toEqual([]);
      // 130 -> 2 pages, 65 -> 1, 130 -> 2, none -> 1
      expect(many.stats().DescribeNetworkInterfaces?.OK).toBe(6);
    } finally {
      await many.stop();
    }
  });

  it('describeEnis by ids returns those ENIs; with no ids, none and no call', async () => {
    const a = await create();
    const b = await create();
    const got = await api.describeEnis({ eniIds: [a.eniId, b.eniId] });
    expect(got.map((e) => e.eniId).sort()).toEqual([a.eniId, b.eniId].sort());
    expect(await api.describeEnis({ eniIds: [] })).toEqual([]);
  });

  it('describeSubnets reports CIDR, zone and counts (reserved addresses excluded)', async () => {
    const [tinyOrNone, other] = await api.describeSubnets(['subnet-other001', TINY]);
    const subnets = [tinyOrNone, other];
    const o = subnets.find((s) => s?.subnetId === 'subnet-other001');
    expect(o).toEqual({
      subnetId: 'subnet-other001',
      vpcId: TEST_VPC,
      cidr: '10.3.0.0/24',
      zone: 'ap-guangzhou-4',
      availableIps: 253,
      totalIps: 253,
    });
    expect(subnets.find((s) => s?.subnetId === TINY)?.totalIps).toBe(5);
  });

  it('describeInstanceLimits gives the instance type limits; an unknown instance is permanent', async () => {
    expect(await api.describeInstanceLimits(INS)).toEqual({ maxEnis: 4, ipsPerEni: 10 });
    await rejectsWith(api.describeInstanceLimits('ins-nothere1'), 'CloudPermanent', 'ResourceNotFound');
  });
});

describe('credentials', () => {
  it('a wrong secret key is refused by the signature check (AuthFailure.SignatureFailure)', async () => {
    const bad = adapterFor(sim, {
      credentials: { secretId: 'AKIDtest0000000000000000000000000000', secretKey: 'wrong' },
    });
    await rejectsWith(bad.describeInstanceLimits(INS), 'CloudPermanent', 'AuthFailure.SignatureFailure');
  });

  it('an unknown secret id is refused (AuthFailure.SecretIdNotFound)', async () => {
    const bad = adapterFor(sim, { credentials: { secretId: 'AKIDother', secretKey: 'x' } });
    await rejectsWith(bad.describeInstanceLimits(INS), 'CloudPermanent', 'AuthFailure.SecretIdNotFound');
  });

  it('temporary credentials work with their session token, and are refused without it', async () => {
    expect(await adapterFor(sim, { credentials: TEMP_CREDENTIALS }).describeInstanceLimits(INS)).toEqual({
      maxEnis: 4,
      ipsPerEni: 10,
    });
    const noToken = adapterFor(sim, {
      credentials: { secretId: TEMP_CREDENTIALS.secretId, secretKey: TEMP_CREDENTIALS.secretKey },
    });
    await rejectsWith(noToken.describeInstanceLimits(INS), 'CloudPermanent', 'AuthFailure.TokenFailure');
  });

  it('another region is refused (UnsupportedRegion)', async () => {
    const bad = adapterFor(sim, { region: 'ap-shanghai' });
    await rejectsWith(bad.describeInstanceLimits(INS), 'CloudPermanent', 'UnsupportedRegion');
  });
});
