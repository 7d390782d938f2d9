/**
 * The one place where Tencent Cloud errors become eni-ipam errors. Callers branch on the
 * resulting `code`; the vendor's code stays in `details.vendorCode` for logs and events.
 */
import { IpamError } from '@eni-ipam/core';

/** The shape of the SDK's TencentCloudSDKHttpException, matched structurally. */
interface SdkException {
  message: string;
  code?: string;
  httpCode?: number;
  requestId?: string;
}

const isSdkException = (e: unknown): e is SdkException => e instanceof Error && 'requestId' in e && 'traceId' in e;

const RETRYABLE = new Set([
  'LimitExceeded.ActionLimited',
  'UnsupportedOperation.MutexOperationTaskRunning',
  'UnsupportedOperation.IdempotentProcessing',
  'FailedOperation.NetDetectTimeOut',
  'ResourceUnavailable',
]);

const INVALID_STATE = new Set([
  'UnsupportedOperation.InvalidState',
  'UnsupportedOperation.ResourceIsInvalidState',
  'UnsupportedOperation.AttachmentAlreadyExists',
  'UnsupportedOperation.AttachmentNotFound',
  'ResourceInUse',
]);

/** Which class a Tencent error code belongs to. Exported for the table test. */
export const classifyVendorCode = (
  code: string,
): 'CloudRetryable' | 'CloudCapacity' | 'CloudInvalidState' | 'CloudAmbiguous' | 'CloudPermanent' => {
  if (code === 'RequestLimitExceeded' || code.startsWith('RequestLimitExceeded.') || RETRYABLE.has(code))
    return 'CloudRetryable';
  // InternalError: the server failed somewhere; whether the change happened is unknown.
  if (code === 'InternalError' || code.startsWith('InternalError.')) return 'CloudAmbiguous';
  if (code === 'LimitExceeded' || code.startsWith('LimitExceeded.') || code.startsWith('ResourceInsufficient'))
    return 'CloudCapacity';
  if (INVALID_STATE.has(code)) return 'CloudInvalidState';
  return 'CloudPermanent';
};

/**
 * Maps anything an SDK call threw to an `IpamError`:
 * - API errors by their code (see `classifyVendorCode`);
 * - HTTP 5xx, transport errors and timeouts (no code): `CloudAmbiguous`, the call may have applied;
 * - HTTP 429: `CloudRetryable`; other HTTP statuses: `CloudPermanent`.
 */
export const mapCloudError = (e: unknown, action: string): IpamError => {
  if (e instanceof IpamError) return e;
  if (!isSdkException(e)) {
    const message = e instanceof Error ? e.message : String(e);
    return new IpamError('CloudAmbiguous', `${action}: ${message}`, { action }, { cause: e });
  }
  const details = { action, vendorCode: e.code ?? '', requestId: e.requestId ?? '', httpCode: e.httpCode ?? 0 };
  if (e.code)
    return new IpamError(classifyVendorCode(e.code), `${action}: ${e.code}: ${e.message}`, details, { cause: e });
  if (e.httpCode === 429) return new IpamError('CloudRetryable', `${action}: HTTP 429`, details, { cause: e });
  if (e.httpCode !== undefined && e.httpCode < 500)
    return new IpamError('CloudPermanent', `${action}: HTTP ${e.httpCode} ${e.message}`, details, { cause: e });
  const what = e.httpCode ? `HTTP ${e.httpCode}` : `transport error (${e.message})`;
  return new IpamError('CloudAmbiguous', `${action}: ${what}; the outcome is unknown`, details, { cause: e });
};
