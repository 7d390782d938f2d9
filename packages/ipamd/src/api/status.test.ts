import type { api } from '@eni-ipam/core';
import { describe, expect, it } from 'vitest';
import { statusOf } from './status.js';

/** Every wire code; `satisfies` makes the compiler fail when a code is added without a row here. */
const EXPECTED = {
  InvalidInput: 400,
  InvalidEvent: 500,
  UnknownEventType: 500,
  UnknownEventVersion: 500,
  InvalidStreamName: 400,
  InvalidSubnetId: 400,
  InvalidCidr: 400,
  InvalidIp: 400,
  InvalidEniId: 400,
  InvalidNodeName: 400,
  InvalidPreBindBounds: 400,
  InvalidAnnotation: 400,
  UnknownCommand: 400,
  PoolExhausted: 503,
  NodeNotFound: 404,
  NodeDraining: 409,
  ClaimConflict: 409,
  ClaimInOtherSubnet: 409,
  NoSubnetInZone: 409,
  SubnetExhausted: 503,
  EniNotFound: 404,
  LimitExceeded: 503,
  SubnetNotEmpty: 409,
  IllegalTransition: 409,
  StreamVersionConflict: 503,
  NotLeader: 503,
  StoreUnavailable: 503,
  StoreNoSpace: 503,
  RequestTooLarge: 413,
  RevisionCompacted: 410,
  CorruptLog: 500,
  AmbiguousOutcome: 503,
  CloudRetryable: 503,
  CloudCapacity: 503,
  CloudPermanent: 502,
  CloudAmbiguous: 503,
  CloudInvalidState: 502,
  Unauthenticated: 401,
  Forbidden: 403,
  RouteNotFound: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Internal: 500,
  IpamdUnavailable: 503,
  IpamdRejected: 502,
} as const satisfies Record<api.ApiErrorCode, number>;

/**
 * How the node agent's client (node-dataplane `toIpamError`) reads an answer; a copy of its
 * rules, kept here so a change of either side shows up as a failing row.
 */
const agentReads = (status: number, code: string): string => {
  if (status === 410) return 'RevisionCompacted';
  if (code === 'PoolExhausted') return 'PoolExhausted';
  if (status >= 500 || ['PoolExhausted', 'SubnetExhausted', 'NotLeader', 'StoreUnavailable'].includes(code)) {
    return 'IpamdUnavailable';
  }
  return 'IpamdRejected';
};

describe('statusOf', () => {
  it.each(Object.entries(EXPECTED))('%s -> %i', (code, status) => {
    expect(statusOf(code as api.ApiErrorCode).status).toBe(status);
  });

  it('every 503 says when to retry; nothing else does', () => {
    for (const code of Object.keys(EXPECTED) as api.ApiErrorCode[]) {
      const s = statusOf(code);
      expect(s.retryAfterS !== undefined).toBe(s.status === 503);
    }
  });

  it.each([
    { code: 'PoolExhausted', agent: 'PoolExhausted' },
    { code: 'SubnetExhausted', agent: 'IpamdUnavailable' },
    { code: 'NotLeader', agent: 'IpamdUnavailable' },
    { code: 'StoreUnavailable', agent: 'IpamdUnavailable' },
    { code: 'StreamVersionConflict', agent: 'IpamdUnavailable' },
    { code: 'CloudRetryable', agent: 'IpamdUnavailable' },
    { code: 'RevisionCompacted', agent: 'RevisionCompacted' },
    { code: 'InvalidInput', agent: 'IpamdRejected' },
    { code: 'Forbidden', agent: 'IpamdRejected' },
    { code: 'NodeNotFound', agent: 'IpamdRejected' },
    { code: 'ClaimInOtherSubnet', agent: 'IpamdRejected' },
  ] as const)('the agent reads $code as $agent', ({ code, agent }) => {
    expect(agentReads(statusOf(code).status, code)).toBe(agent);
  });
});
