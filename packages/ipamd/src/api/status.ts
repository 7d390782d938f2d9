import type { api } from '@eni-ipam/core';

/** How an error code is answered: status, and for "try again later" a Retry-After in seconds. */
export interface ErrorStatus {
  status: number;
  retryAfterS?: number;
}

/**
 * THE mapping of error codes to HTTP statuses (the only one). Chosen so the node agent's client
 * (`toIpamError` in node-dataplane) reads each correctly:
 * - "try again later" (pool or subnet exhausted while ENIs are being bound, no leader, store
 *   down, ambiguous outcomes): 503 with Retry-After; the client keys PoolExhausted by code and
 *   treats any other 5xx or NotLeader/StoreUnavailable/SubnetExhausted as unavailable;
 * - the request cannot succeed as asked: 4xx (400 bad input, 404 unknown, 409 conflicts with
 *   state, 410 feed start compacted: reload the state);
 * - broken invariants (corrupt log, unknown event type) 500; a permanent cloud refusal 502.
 */
export const statusOf = (code: api.ApiErrorCode): ErrorStatus => {
  switch (code) {
    case 'InvalidInput':
    case 'InvalidStreamName':
    case 'InvalidSubnetId':
    case 'InvalidCidr':
    case 'InvalidIp':
    case 'InvalidEniId':
    case 'InvalidNodeName':
    case 'InvalidPreBindBounds':
    case 'InvalidAnnotation':
    case 'UnknownCommand':
      return { status: 400 };
    case 'Unauthenticated':
      return { status: 401 };
    case 'Forbidden':
      return { status: 403 };
    case 'NodeNotFound':
    case 'EniNotFound':
    case 'RouteNotFound':
      return { status: 404 };
    case 'MethodNotAllowed':
      return { status: 405 };
    case 'NodeDraining':
    case 'ClaimConflict':
    case 'ClaimInOtherSubnet':
    case 'NoSubnetInZone':
    case 'SubnetNotEmpty':
    case 'IllegalTransition':
      return { status: 409 };
    case 'RevisionCompacted':
      return { status: 410 };
    case 'RequestTooLarge':
    case 'PayloadTooLarge':
      return { status: 413 };
    case 'UnsupportedMediaType':
      return { status: 415 };
    case 'PoolExhausted':
    case 'SubnetExhausted':
    case 'LimitExceeded':
    case 'CloudCapacity':
      return { status: 503, retryAfterS: 2 };
    case 'NotLeader':
    case 'StoreUnavailable':
    case 'StoreNoSpace':
    case 'StreamVersionConflict':
    case 'AmbiguousOutcome':
    case 'CloudRetryable':
    case 'CloudAmbiguous':
    // The agent's client-side codes; ipamd never raises them itself, but a forwarded write
    // that met an unreachable leader is "try again later" all the same.
    case 'IpamdUnavailable':
      return { status: 503, retryAfterS: 1 };
    case 'CloudPermanent':
    case 'CloudInvalidState':
    case 'IpamdRejected':
      return { status: 502 };
    case 'InvalidEvent':
    case 'UnknownEventType':
    case 'UnknownEventVersion':
    case 'CorruptLog':
    case 'Internal':
      return { status: 500 };
    default: {
      const _exhaustive: never = code;
      return { status: 500 };
    }
  }
};
