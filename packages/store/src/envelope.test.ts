import { type EventEnvelope, isIpamError } from '@eni-ipam/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStored,
  encodeStored,
  envelopeSchemaAccepts,
  isEnvelopeShape,
  validateAppend,
  validateEnvelope,
} from './envelope.js';
import { nextEvents, testEvent } from './testing/events.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isIpamError(e) ? e.code : 'untyped';
  }
};

describe('stored events', () => {
  const e = testEvent('node/n1', 3);
  const key = '/p/log/node/n1/000000000003';
  it('round-trip with their revision and index', () => {
    const d = decodeStored(key, encodeStored(e, 2), 17, { stream: 'node/n1', seq: 3 }, validateEnvelope);
    expect(d).toEqual({ event: { ...e, revision: 17 }, i: 2 });
  });
  it.each([
    { what: 'not JSON', value: '{"i":0,' },
    { what: 'no wrapper', value: JSON.stringify(e) },
    { what: 'a non-numeric index', value: JSON.stringify({ i: 'x', e }) },
    { what: 'a missing id', value: JSON.stringify({ i: 0, e: { ...e, id: '' } }) },
    { what: 'a seq that is not the key', value: encodeStored({ ...e, seq: 4 }, 0) },
  ])('refuse $what with CorruptLog naming the key', ({ value }) => {
    let err: unknown;
    try {
      decodeStored(key, value, 1, { stream: 'node/n1', seq: 3 }, validateEnvelope);
    } catch (x) {
      err = x;
    }
    expect(isIpamError(err, 'CorruptLog')).toBe(true);
    expect((err as Error).message).toContain(key);
  });
  it('pass decoder refusals through unchanged (the reader stops, it does not skip)', () => {
    const decoder = (): EventEnvelope => {
      throw new Error('unknown type');
    };
    expect(() => decodeStored(key, encodeStored(e, 0), 1, undefined, decoder)).toThrow('unknown type');
  });
});

describe('validateAppend', () => {
  it.each([
    { what: 'no streams', streams: [], code: 'InvalidInput' },
    { what: 'a stream twice', streams: [nextEvents('node/a', 0), nextEvents('node/a', 1)], code: 'InvalidInput' },
    {
      what: 'a negative version',
      streams: [{ stream: 'node/a', expectedVersion: -1, events: [testEvent('node/a', 0)] }],
      code: 'InvalidInput',
    },
    { what: 'no events', streams: [{ stream: 'node/a', expectedVersion: 0, events: [] }], code: 'InvalidInput' },
    {
      what: 'a gap in seqs',
      streams: [{ stream: 'node/a', expectedVersion: 0, events: [testEvent('node/a', 2)] }],
      code: 'InvalidEvent',
    },
    { what: 'a bad stream', streams: [nextEvents('Node/a', 0)], code: 'InvalidStreamName' },
    {
      what: 'a duplicate id',
      streams: [
        {
          stream: 'node/a',
          expectedVersion: 0,
          events: [testEvent('node/a', 1, { id: 'x' }), testEvent('node/a', 2, { id: 'x' })],
        },
      ],
      code: 'InvalidEvent',
    },
    { what: 'a zero schema version', streams: [nextEvents('node/a', 0, 1, { v: 0 })], code: 'InvalidEvent' },
    { what: 'a good append', streams: [nextEvents('node/a', 0, 2), nextEvents('cluster', 4)], code: 'ok' },
  ])('$what -> $code', ({ streams, code }) => {
    expect(codeOf(() => validateAppend(streams))).toBe(code);
  });
});

describe('the read-path shape check', () => {
  it('accepts exactly what the zod schema accepts', () => {
    const good = testEvent('node/a', 1);
    const field = fc.constantFrom('id', 'stream', 'seq', 'type', 'v', 'at', 'by', 'cause', 'data');
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.integer({ min: -2, max: 3 }),
      fc.double(),
      fc.boolean(),
      fc.constant({}),
      fc.constant({ replica: 'r', term: 1 }),
      fc.constant({ replica: 1, term: 1 }),
      fc.constant({ podUid: 'p' }),
      fc.constant({ podUid: 5 }),
      fc.constant([]),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, junk), { maxLength: 3 }), (edits) => {
        const e: Record<string, unknown> = structuredClone(good) as unknown as Record<string, unknown>;
        for (const [k, v] of edits) e[k] = v;
        expect(isEnvelopeShape(e)).toBe(envelopeSchemaAccepts(e));
      }),
      { numRuns: 2000 },
    );
    expect(isEnvelopeShape(good)).toBe(true);
  });
});
