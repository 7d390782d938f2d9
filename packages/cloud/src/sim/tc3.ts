/**
 * TC3-HMAC-SHA256, the signature Tencent Cloud API 3.0 requests carry. Written from the
 * protocol description (research/libs.md 3.3), independently of the SDK's `sign.js`, so that the
 * simulator really checks what the SDK sends. `signTc3` serves raw-HTTP tests and the benchmark.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const sha256hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export const utcDate = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

export interface Tc3Input {
  secretKey: string;
  /** The Host header's hostname, without the port (what the SDK signs). */
  hostname: string;
  contentType: string;
  body: Buffer | string;
  timestamp: number;
  service: string;
}

export const tc3Signature = (i: Tc3Input): string => {
  const canonical = [
    'POST',
    '/',
    '',
    `content-type:${i.contentType}\nhost:${i.hostname}\n`,
    'content-type;host',
    sha256hex(i.body),
  ].join('\n');
  const date = utcDate(i.timestamp);
  const toSign = [
    'TC3-HMAC-SHA256',
    String(i.timestamp),
    `${date}/${i.service}/tc3_request`,
    sha256hex(canonical),
  ].join('\n');
  const kDate = hmac(`TC3${i.secretKey}`, date);
  const kSigning = hmac(hmac(kDate, i.service), 'tc3_request');
  return createHmac('sha256', kSigning).update(toSign).digest('hex');
};

/** The Authorization header value for a request. */
export const signTc3 = (i: Tc3Input & { secretId: string }): string =>
  `TC3-HMAC-SHA256 Credential=${i.secretId}/${utcDate(i.timestamp)}/${i.service}/tc3_request, SignedHeaders=content-type;host, Signature=${tc3Signature(i)}`;

export interface ParsedAuthorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string;
  signature: string;
}

const AUTH =
  /^TC3-HMAC-SHA256 Credential=([^/\s]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9-]+)\/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export const parseAuthorization = (header: string): ParsedAuthorization | undefined => {
  const m = AUTH.exec(header);
  if (!m) return undefined;
  const [, secretId = '', date = '', service = '', signedHeaders = '', signature = ''] = m;
  return { secretId, date, service, signedHeaders, signature };
};

export const signaturesEqual = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
