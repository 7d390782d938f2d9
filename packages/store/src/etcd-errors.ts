import { IpamError } from '@eni-ipam/core';
import { isBrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  GRPCAbortedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCUnavailableError,
  GRPCUnknownError,
} from 'etcd3';

/**
 * The one place etcd / gRPC / cockatiel errors become eni-ipam errors. Branches on the error
 * class where etcd3 gives one, on etcd's server message otherwise (etcd3 has no class for them).
 *
 * | etcd says                                      | code               |
 * |------------------------------------------------|--------------------|
 * | `mvcc: database space exceeded` (NOSPACE)      | StoreNoSpace       |
 * | `request is too large`, `larger than max`,     | RequestTooLarge    |
 * |   `too many operations in txn request`         |                    |
 * | `required revision has been compacted`         | RevisionCompacted  |
 * | auth failed, permission denied, no user name  | StoreUnavailable, details.auth |
 * | unavailable, deadline, cancelled, broken circuit | StoreUnavailable |
 */
export const mapEtcdError = (e: unknown, what: string): IpamError => {
  if (e instanceof IpamError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const details = { operation: what, etcd: msg };
  if (msg.includes('database space exceeded')) {
    return new IpamError(
      'StoreNoSpace',
      `${what}: etcd is out of space (NOSPACE alarm); archive, compact, defrag and disarm`,
      details,
      { cause: e },
    );
  }
  if (msg.includes('request is too large') || msg.includes('larger than max') || msg.includes('too many operations')) {
    return new IpamError('RequestTooLarge', `${what}: etcd refused the request size: ${msg}`, details, { cause: e });
  }
  if (msg.includes('required revision has been compacted')) {
    return new IpamError('RevisionCompacted', `${what}: the revision was compacted`, details, { cause: e });
  }
  if (
    e instanceof EtcdPermissionDeniedError ||
    e instanceof EtcdAuthenticationFailedError ||
    /permission denied|authentication failed|user name is empty|invalid auth token/.test(msg)
  ) {
    return new IpamError(
      'StoreUnavailable',
      `${what}: etcd refused access: ${msg}`,
      { ...details, auth: true },
      { cause: e },
    );
  }
  return new IpamError('StoreUnavailable', `${what}: etcd unavailable: ${msg}`, details, { cause: e });
};

/**
 * True when a write may or may not have been applied: the request may have reached the leader
 * before the connection broke or the deadline passed. Such appends are resolved by read-back.
 */
export const isAmbiguousWrite = (e: unknown): boolean =>
  e instanceof GRPCDeadlineExceededError ||
  e instanceof GRPCUnavailableError ||
  e instanceof GRPCCancelledError ||
  e instanceof GRPCInternalError ||
  e instanceof GRPCUnknownError ||
  e instanceof GRPCAbortedError ||
  (e instanceof Error &&
    /deadline|unavailable|timed? ?out|leader changed/i.test(e.message) &&
    !isBrokenCircuitError(e));

/** Errors after which nothing was sent (the breaker was open, the client closed). */
export const isNotSent = (e: unknown): boolean => isBrokenCircuitError(e) || e instanceof ClientClosedError;
