/**
 * Bad input to the adapter is refused with a typed error before any request leaves the
 * process: the simulator behind it sees no call at all.
 */
import { type IpamErrorCode, isIpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, startTestSimulator, TEST_VPC } from '../testing/index.js';
import type { TencentVpcApi } from './tencent-vpc-api.js';

let sim: VpcSimulator;
let api: TencentVpcApi;
beforeAll(async () => {
  sim = await startTestSimulator();
  api = adapterFor(sim);
});
afterAll(() => sim.stop());

const ENI = 'eni-abcd1234';
const cases: Array<{ case: string; call: () => Promise<unknown>; code: IpamErrorCode }> = [
  {
    case: 'malformed ENI id',
    call: () => api.attachEni({ clientToken: 't', eniId: 'eni-ABC', instanceId: 'ins-00000000' }),
    code: 'InvalidInput',
  },
  {
    case: 'ENI id of another kind',
    call: () => api.deleteEni({ clientToken: 't', eniId: 'subnet-pods0001' }),
    code: 'InvalidInput',
  },
  {
    case: 'malformed subnet id',
    call: () => api.createEni({ clientToken: 't', vpcId: TEST_VPC, subnetId: 'subnet-1', name: 'n', tags: [] }),
    code: 'InvalidSubnetId',
  },
  {
    case: 'malformed subnet id in describe',
    call: () => api.describeSubnets(['subnet-pods0001', 'sub-x']),
    code: 'InvalidSubnetId',
  },
  {
    case: 'malformed VPC id',
    call: () => api.createEni({ clientToken: 't', vpcId: 'vpc', subnetId: 'subnet-pods0001', name: 'n', tags: [] }),
    code: 'InvalidInput',
  },
  { case: 'malformed instance id', call: () => api.describeInstanceLimits('i-123'), code: 'InvalidInput' },
  { case: 'count 0', call: () => api.assignIps({ clientToken: 't', eniId: ENI, count: 0 }), code: 'InvalidInput' },
  {
    case: 'count negative',
    call: () => api.assignIps({ clientToken: 't', eniId: ENI, count: -3 }),
    code: 'InvalidInput',
  },
  {
    case: 'count fractional',
    call: () => api.assignIps({ clientToken: 't', eniId: ENI, count: 1.5 }),
    code: 'InvalidInput',
  },
  {
    case: 'count above 100',
    call: () => api.assignIps({ clientToken: 't', eniId: ENI, count: 101 }),
    code: 'InvalidInput',
  },
  { case: 'no addresses', call: () => api.assignIps({ clientToken: 't', eniId: ENI, ips: [] }), code: 'InvalidIp' },
  {
    case: 'bad address',
    call: () => api.assignIps({ clientToken: 't', eniId: ENI, ips: ['10.0.0.256'] }),
    code: 'InvalidIp',
  },
  {
    case: 'duplicate addresses',
    call: () => api.unassignIps({ clientToken: 't', eniId: ENI, ips: ['10.0.0.5', '10.0.0.5'] }),
    code: 'InvalidIp',
  },
  {
    case: 'empty client token',
    call: () => api.detachEni({ clientToken: '', eniId: ENI, instanceId: 'ins-00000000' }),
    code: 'InvalidInput',
  },
  {
    case: 'client token too long',
    call: () => api.attachEni({ clientToken: 'x'.repeat(59), eniId: ENI, instanceId: 'ins-00000000' }),
    code: 'InvalidInput',
  },
  { case: 'bad ENI id in describe', call: () => api.describeEnis({ eniIds: [ENI, 'eni-'] }), code: 'InvalidInput' },
];

it.each(cases)('$case -> $code, and no request is sent', async ({ call, code }) => {
  const e = await call().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isIpamError(e, code), String(e)).toBe(true);
  expect(sim.stats()).toEqual({});
});
