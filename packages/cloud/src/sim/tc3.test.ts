import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthorization, signTc3 } from './tc3.js';

// The SDK's signer: the simulator's independent implementation must agree with it exactly.
const require = createRequire(import.meta.url);
const Sign: {
  sign3(o: Record<string, unknown>): string;
} = require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js').default;

describe('TC3-HMAC-SHA256', () => {
  it('signTc3 produces the Authorization header the SDK produces, for any body and time', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer())),
        fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (payload, timestamp, secretKey) => {
          const body = JSON.stringify(payload);
          const sdk = Sign.sign3({
            method: 'POST',
            url: 'https://vpc.tencentcloudapi.com/',
            payload,
            timestamp,
            service: 'vpc',
            secretId: 'AKIDx',
            secretKey,
            multipart: false,
            headers: { 'Content-Type': 'application/json' },
          });
          const ours = signTc3({
            secretId: 'AKIDx',
            secretKey,
            hostname: 'vpc.tencentcloudapi.com',
            contentType: 'application/json',
            body,
            timestamp,
            service: 'vpc',
          });
          return sdk === ours;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('parses the header it writes; refuses other shapes', () => {
    const h = signTc3({
      secretId: 'AKID1',
      secretKey: 'k',
      hostname: 'h',
      contentType: 'application/json',
      body: '{}',
      timestamp: 1_700_000_000,
      service: 'vpc',
    });
    expect(parseAuthorization(h)).toMatchObject({
      secretId: 'AKID1',
      date: '2023-11-14',
      service: 'vpc',
      signedHeaders: 'content-type;host',
    });
    expect(parseAuthorization('Basic abc')).toBeUndefined();
    expect(parseAuthorization('')).toBeUndefined();
  });
});
