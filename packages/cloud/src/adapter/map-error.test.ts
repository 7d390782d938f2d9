import { createRequire } from 'node:module';
import { IpamError } from '@eni-ipam/core';
import { describe, expect, it } from 'vitest';
import { classifyVendorCode, mapCloudError } from './map-error.js';

// The SDK's own exception class, so the mapping is tested on what the SDK really throws.
const require = createRequire(import.meta.url);
const SdkException: new (
  message: string,
  requestId?: string,
  traceId?: string,
) => Error & {
  code?: string;
  httpCode?: number;
} = require('tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception.js').default;

const apiError = (code: string) => Object.assign(new SdkException('msg', 'req-1', 'trace-1'), { code });

describe('classifyVendorCode', () => {
  it.each([
    { code: 'RequestLimitExceeded', expect: 'CloudRetryable' },
    { code: 'RequestLimitExceeded.UinLimitExceeded', expect: 'CloudRetryable' },
    { code: 'RequestLimitExceeded.GlobalRegionUinLimitExceeded', expect: 'CloudRetryable' },
    { code: 'LimitExceeded.ActionLimited', expect: 'CloudRetryable' },
    { code: 'UnsupportedOperation.MutexOperationTaskRunning', expect: 'CloudRetryable' },
    { code: 'ResourceInsufficient.Subnet', expect: 'CloudCapacity' },
    { code: 'LimitExceeded', expect: 'CloudCapacity' },
    { code: 'LimitExceeded.NetworkInterfaceLimitExceeded', expect: 'CloudCapacity' },
    { code: 'UnsupportedOperation.InvalidState', expect: 'CloudInvalidState' },
    { code: 'ResourceInUse', expect: 'CloudInvalidState' },
    { code: 'InternalError', expect: 'CloudAmbiguous' },
    { code: 'AuthFailure.SignatureFailure', expect: 'CloudPermanent' },
    { code: 'AuthFailure.SignatureExpire', expect: 'CloudPermanent' },
    { code: 'InvalidParameterValue.Malformed', expect: 'CloudPermanent' },
    { code: 'InvalidParameter', expect: 'CloudPermanent' },
    { code: 'MissingParameter', expect: 'CloudPermanent' },
    { code: 'ResourceNotFound', expect: 'CloudPermanent' },
    { code: 'UnsupportedOperation.IdempotentParameterMismatch', expect: 'CloudPermanent' },
    { code: 'InvalidAction', expect: 'CloudPermanent' },
  ])('$code -> $expect', ({ code, expect: want }) => {
    expect(classifyVendorCode(code)).toBe(want);
  });
});

describe('mapCloudError', () => {
  it('keeps the vendor code and request id in details', () => {
    const e = mapCloudError(apiError('ResourceInsufficient.Subnet'), 'AssignPrivateIpAddresses');
    expect(e).toBeInstanceOf(IpamError);
    expect(e.code).toBe('CloudCapacity');
    expect(e.details).toMatchObject({
      action: 'AssignPrivateIpAddresses',
      vendorCode: 'ResourceInsufficient.Subnet',
      requestId: 'req-1',
    });
  });

  it('a transport error (no code, no HTTP status) is ambiguous', () => {
    expect(mapCloudError(new SdkException('network timeout at: http://vpc'), 'AttachNetworkInterface').code).toBe(
      'CloudAmbiguous',
    );
  });

  it.each([
    { httpCode: 502, expect: 'CloudAmbiguous' },
    { httpCode: 503, expect: 'CloudAmbiguous' },
    { httpCode: 429, expect: 'CloudRetryable' },
    { httpCode: 403, expect: 'CloudPermanent' },
  ])('HTTP $httpCode -> $expect', ({ httpCode, expect: want }) => {
    const e = Object.assign(new SdkException('Service Unavailable'), { httpCode });
    expect(mapCloudError(e, 'DescribeSubnets').code).toBe(want);
  });

  it('anything else thrown (an abort, a TypeError) is ambiguous; an IpamError passes through', () => {
    expect(mapCloudError(new TypeError('boom'), 'X').code).toBe('CloudAmbiguous');
    const own = new IpamError('InvalidInput', 'bad');
    expect(mapCloudError(own, 'X')).toBe(own);
  });
});
