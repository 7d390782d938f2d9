import { isIpamError } from '@eni-ipam/core';
import { describe, expect, it } from 'vitest';
import { assertStreamName, isValidStreamName, KeyLayout, padSeq, prefixEnd } from './keys.js';

describe('stream names', () => {
  it.each([
    { stream: 'cluster', valid: true },
    { stream: 'node/ip-10-0-0-1.ec2.internal', valid: true },
    { stream: 'node/a', valid: true },
    { stream: 'subnet/subnet-ab12cd34', valid: true },
    { stream: 'node/', valid: false },
    { stream: 'node/Upper', valid: false },
    { stream: 'node/-lead', valid: false },
    { stream: 'node/trail-', valid: false },
    { stream: 'node/a..b', valid: false },
    { stream: `node/${'a'.repeat(254)}`, valid: false },
    { stream: 'subnet/subnet-ab12cd3', valid: false },
    { stream: 'subnet/subnet-AB12CD34', valid: false },
    { stream: 'subnet/vpc-ab12cd34', valid: false },
    { stream: 'clusters', valid: false },
    { stream: 'pod/x', valid: false },
    { stream: 'node/a/b', valid: false },
  ])('$stream is valid: $valid', ({ stream, valid }) => {
    expect(isValidStreamName(stream)).toBe(valid);
    if (!valid) {
      expect(() => assertStreamName(stream)).toThrow();
      try {
        assertStreamName(stream);
      } catch (e) {
        expect(isIpamError(e, 'InvalidStreamName')).toBe(true);
      }
    }
  });

  it('refuses non-strings', () => {
    expect(isValidStreamName(42)).toBe(false);
    expect(isValidStreamName(undefined)).toBe(false);
  });
});

describe('key layout', () => {
  const keys = new KeyLayout('/eni-ipam/c1/');
  it('puts one event per key under log/<stream>/<12-digit seq>', () => {
    expect(keys.log('node/n1', 7)).toBe('/eni-ipam/c1/log/node/n1/000000000007');
    expect(keys.head('subnet/subnet-ab12cd34')).toBe('/eni-ipam/c1/head/subnet/subnet-ab12cd34');
    expect(keys.manifest).toBe('/eni-ipam/c1/archive/manifest');
    expect(padSeq(123)).toHaveLength(12);
  });
  it('parses log keys back, and nothing else', () => {
    expect(keys.parseLog(keys.log('node/n1', 42))).toEqual({ stream: 'node/n1', seq: 42 });
    expect(keys.parseLog('/eni-ipam/c1/head/node/n1')).toBeUndefined();
    expect(keys.parseLog('/eni-ipam/c1/log/node/n1/abc')).toBeUndefined();
  });
  it('a stream range holds its own keys only (node/a does not reach node/ab)', () => {
    const r = keys.streamRange('node/a');
    const inside = (k: string) => k >= r.start && k < r.end;
    expect(inside(keys.log('node/a', 1))).toBe(true);
    expect(inside(keys.log('node/a', 999_999))).toBe(true);
    expect(inside(keys.log('node/ab', 1))).toBe(false);
    expect(inside(keys.log('node/a.b', 1))).toBe(false);
  });
  it('prefixEnd increments the last byte', () => {
    expect(prefixEnd('/a/')).toBe('/a0');
    expect(prefixEnd('ab')).toBe('ac');
  });
});
