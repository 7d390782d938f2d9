/**
 * One error tree for all of eni-ipam. Callers branch on `code` (stable, part of the public
 * interface) or on the class, never on the message text.
 *
 * @example
 *   try { decide(cmd, state) } catch (e) { if (isIpamError(e, 'PoolExhausted')) ... }
 */
export type IpamErrorCode =
  // input validation (4xx-like; nothing was changed)
  | 'InvalidInput'
  | 'InvalidEvent'
  | 'UnknownEventType'
  | 'UnknownEventVersion'
  | 'InvalidStreamName'
  | 'InvalidSubnetId'
  | 'InvalidCidr'
  | 'InvalidIp'
  | 'InvalidEniId'
  | 'InvalidNodeName'
  | 'InvalidPreBindBounds'
  | 'InvalidAnnotation'
  | 'UnknownCommand'
  // domain refusals
  | 'PoolExhausted'
  | 'NodeNotFound'
  | 'NodeDraining'
  | 'ClaimConflict'
  | 'ClaimInOtherSubnet'
  | 'NoSubnetInZone'
  | 'SubnetExhausted'
  | 'EniNotFound'
  | 'LimitExceeded'
  | 'SubnetNotEmpty'
  | 'IllegalTransition'
  // event store
  | 'StreamVersionConflict'
  | 'NotLeader'
  | 'StoreUnavailable'
  | 'StoreNoSpace'
  | 'RequestTooLarge'
  | 'RevisionCompacted'
  | 'CorruptLog'
  | 'AmbiguousOutcome'
  // cloud
  | 'CloudRetryable'
  | 'CloudCapacity'
  | 'CloudPermanent'
  | 'CloudAmbiguous'
  | 'CloudInvalidState';

export class IpamError extends Error {
  override readonly name: string = 'IpamError';
  constructor(
    readonly code: IpamErrorCode,
    message: string,
    /** Structured context for logs and API bodies; never secrets. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isIpamError = (e: unknown, code?: IpamErrorCode): e is IpamError =>
  e instanceof IpamError && (code === undefined || e.code === code);
