import { IpamError } from '@eni-ipam/core';
import { BrokenCircuitError } from 'cockatiel';
import {
  GRPCDeadlineExceededError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from 'etcd3';
import { describe, expect, it } from 'vitest';
import { isAmbiguousWrite, isNotSent, mapEtcdError } from './etcd-errors.js';

describe('mapEtcdError: one place for vendor errors', () => {
  it.each([
    {
      what: 'NOSPACE',
      err: new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'),
      code: 'StoreNoSpace',
      ambiguous: false,
    },
    {
      what: 'request too large',
      err: new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: request is too large'),
      code: 'RequestTooLarge',
      ambiguous: false,
    },
    {
      what: 'gRPC message too large',
      err: new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: grpc: received message larger than max'),
      code: 'RequestTooLarge',
      ambiguous: false,
    },
    {
      what: 'too many ops',
      err: new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: too many operations in txn request'),
      code: 'RequestTooLarge',
      ambiguous: false,
    },
    {
      what: 'compacted',
      err: new GRPCOutOfRangeError('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'),
      code: 'RevisionCompacted',
      ambiguous: false,
    },
    {
      what: 'unavailable',
      err: new GRPCUnavailableError('14 UNAVAILABLE: No connection established'),
      code: 'StoreUnavailable',
      ambiguous: true,
    },
    {
      what: 'deadline',
      err: new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'),
      code: 'StoreUnavailable',
      ambiguous: true,
    },
    { what: 'open breaker', err: new BrokenCircuitError(), code: 'StoreUnavailable', ambiguous: false },
  ])('$what -> $code', ({ err, code, ambiguous }) => {
    const m = mapEtcdError(err, 'op');
    expect(m).toBeInstanceOf(IpamError);
    expect(m.code).toBe(code);
    expect(m.cause).toBe(err);
    expect(isAmbiguousWrite(err)).toBe(ambiguous);
  });
  it('an open breaker means nothing was sent', () => {
    expect(isNotSent(new BrokenCircuitError())).toBe(true);
    expect(isNotSent(new GRPCUnavailableError('x'))).toBe(false);
  });
  it('passes our own errors through', () => {
    const e = new IpamError('NotLeader', 'x');
    expect(mapEtcdError(e, 'op')).toBe(e);
  });
});
