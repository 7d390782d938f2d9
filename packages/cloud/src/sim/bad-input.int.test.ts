/**
 * Bad input to the simulator, over raw HTTP: each gets the matching Tencent error code in the
 * usual envelope (HTTP 200), nothing changes, and the server keeps answering.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, TEST_CREDENTIALS } from '../testing/index.js';
import type { VpcSimulator } from './server.js';
import { signTc3 } from './tc3.js';

const NOW = Date.UTC(2026, 10, 22, 6, 0, 0);
let sim: VpcSimulator;

beforeAll(async () => {
  sim = await startTestSimulator({ now: () => NOW, maxBodyBytes: 64 * 1024, rateLimits: { DescribeSubnets: 2 } });
});
afterAll(() => sim.stop());

interface Raw {
  action?: string;
  body?: string | Buffer;
  method?: string;
  headers?: Record<string, string>;
  timestamp?: number;
  secretKey?: string;
  sign?: boolean;
  version?: string;
}

const call = (
  r: Raw,
): Promise<{ status: number; body: { Response?: { Error?: { Code: string }; RequestId?: string } } }> => {
  const body = r.body ?? '{}';
  const ts = r.timestamp ?? NOW / 1000;
  const headers: Record<string, string> = {
    host: 'vpc.tencentcloudapi.com',
    'content-type': 'application/json',
    'x-tc-action': r.action ?? 'DescribeNetworkInterfaces',
    'x-tc-version': r.version ?? '2017-03-12',
    'x-tc-region': 'ap-guangzhou',
    'x-tc-timestamp': String(ts),
  };
  if (r.sign !== false)
    headers.authorization = signTc3({
      secretId: TEST_CREDENTIALS.secretId,
      secretKey: r.secretKey ?? TEST_CREDENTIALS.secretKey,
      hostname: 'vpc.tencentcloudapi.com',
      contentType: 'application/json',
      body,
      timestamp: ts,
      service: 'vpc',
    });
  Object.assign(headers, r.headers);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: r.method ?? 'POST', path: '/', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
        );
      },
    );
    req.on('error', reject);
    req.end(r.method === 'GET' ? undefined : body);
  });
};

const code = async (r: Raw) => {
  const res = await call(r);
  expect(res.status).toBe(200);
  expect(res.body.Response?.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  return res.body.Response?.Error?.Code;
};

describe('envelope and signature', () => {
  it.each([
    { case: 'unsigned', r: { sign: false }, expect: 'AuthFailure.SignatureFailure' },
    { case: 'signed with the wrong key', r: { secretKey: 'not-the-key' }, expect: 'AuthFailure.SignatureFailure' },
    { case: 'timestamp 10 minutes old', r: { timestamp: NOW / 1000 - 600 }, expect: 'AuthFailure.SignatureExpire' },
    { case: 'timestamp 10 minutes ahead', r: { timestamp: NOW / 1000 + 600 }, expect: 'AuthFailure.SignatureExpire' },
    { case: 'unknown action', r: { action: 'RebootEverything' }, expect: 'InvalidAction' },
    { case: 'unknown version', r: { version: '2099-01-01' }, expect: 'NoSuchVersion' },
    { case: 'GET', r: { method: 'GET' }, expect: 'UnsupportedProtocol' },
    { case: 'body not JSON', r: { body: '{"Limit": ' }, expect: 'InvalidParameter' },
    { case: 'body a JSON array', r: { body: '[]' }, expect: 'InvalidParameter' },
  ])('$case -> $expect', async ({ r, expect: want }) => {
    expect(await code(r)).toBe(want);
  });

  it('a body changed after signing fails the signature', async () => {
    const signedFor = '{"SubnetIds":["subnet-pods0001"]}';
    const res = await call({
      body: '{"SubnetIds":["subnet-tiny0001"]}',
      headers: {
        authorization: signTc3({
          ...TEST_CREDENTIALS,
          hostname: 'vpc.tencentcloudapi.com',
          contentType: 'application/json',
          body: signedFor,
          timestamp: NOW / 1000,
          service: 'vpc',
        }),
      },
    });
    expect(res.body.Response?.Error?.Code).toBe('AuthFailure.SignatureFailure');
  });

  it('an oversized body gets RequestSizeLimitExceeded', async () => {
    expect(await code({ body: `{"Filters":[{"Name":"zone","Values":["${'x'.repeat(100 * 1024)}"]}]}` })).toBe(
      'RequestSizeLimitExceeded',
    );
  });

  it('past the per-action rate limit: RequestLimitExceeded', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await code({ action: 'DescribeSubnets' }));
    expect(codes.slice(0, 2)).toEqual([undefined, undefined]);
    expect(codes.slice(2)).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded']);
  });
});

describe('parameters', () => {
  it.each([
    {
      case: 'missing InstanceId',
      action: 'AttachNetworkInterface',
      body: { NetworkInterfaceId: 'eni-abcd1234' },
      expect: 'MissingParameter',
    },
    { case: 'missing all of Create', action: 'CreateNetworkInterface', body: {}, expect: 'MissingParameter' },
    {
      case: 'malformed ENI id',
      action: 'DeleteNetworkInterface',
      body: { NetworkInterfaceId: 'eni-XYZ' },
      expect: 'InvalidParameterValue.Malformed',
    },
    { case: 'wrong type', action: 'DescribeNetworkInterfaces', body: { Limit: 'ten' }, expect: 'InvalidParameter' },
    {
      case: 'Limit above 100',
      action: 'DescribeNetworkInterfaces',
      body: { Limit: 500 },
      expect: 'InvalidParameterValue.LimitExceeded',
    },
    {
      case: 'unknown parameter',
      action: 'DescribeNetworkInterfaces',
      body: { Colour: 'red' },
      expect: 'UnknownParameter',
    },
    {
      case: 'unknown filter',
      action: 'DescribeNetworkInterfaces',
      body: { Filters: [{ Name: 'colour', Values: ['red'] }] },
      expect: 'InvalidParameter.FilterInvalidKey',
    },
    {
      case: 'ids and filters together',
      action: 'DescribeNetworkInterfaces',
      body: { NetworkInterfaceIds: ['eni-abcd1234'], Filters: [{ Name: 'vpc-id', Values: ['vpc-test0001'] }] },
      expect: 'InvalidParameterConflict',
    },
    {
      case: 'unknown ENI',
      action: 'DeleteNetworkInterface',
      body: { NetworkInterfaceId: 'eni-abcd1234' },
      expect: 'ResourceNotFound',
    },
    {
      case: 'assign with neither count nor addresses',
      action: 'AssignPrivateIpAddresses',
      body: { NetworkInterfaceId: 'eni-abcd1234' },
      expect: 'ResourceNotFound',
    },
    { case: 'unknown task', action: 'DescribeVpcTaskResult', body: { TaskId: 'nope' }, expect: 'ResourceNotFound' },
    {
      case: 'eleven addresses in one call',
      action: 'CreateNetworkInterface',
      body: {
        VpcId: 'vpc-test0001',
        SubnetId: 'subnet-pods0001',
        NetworkInterfaceName: 'n',
        SecondaryPrivateIpAddressCount: 11,
      },
      expect: 'InvalidParameterValue.LimitExceeded',
    },
  ])('$case -> $expect', async ({ action, body, expect: want }) => {
    expect(await code({ action, body: JSON.stringify(body) })).toBe(want);
  });

  it('after all that, nothing was created and the server still answers', async () => {
    expect(sim.dump().enis).toEqual([]);
    expect(
      await code({ action: 'DescribeNetworkInterfaceLimit', body: '{"InstanceId":"ins-00000000"}' }),
    ).toBeUndefined();
  });
});
