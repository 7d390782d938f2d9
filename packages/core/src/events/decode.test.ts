import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isIpamError } from '../errors.js';
import { eventCatalogue } from './catalogue.js';
import { decodeEvent, envelopeSchema, isEnvelope, makeDecoder } from './decode.js';

const envelope = (over: Record<string, unknown> = {}) => ({
  id: 'c1:0',
  stream: 'node/node-a',
  seq: 1,
  type: 'NodeDrainStarted',
  v: 1,
  at: '2026-01-01T00:00:00.000Z',
  by: { replica: 'r1', term: 3 },
  cause: { commandId: 'c1' },
  data: { reason: 'node deleted' },
  ...over,
});
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isIpamError(e) ? e.code : String(e);
  }
  return undefined;
};

describe('decodeEvent', () => {
  it('decodes a valid event and keeps its revision', () => {
    const e = decodeEvent({ ...envelope(), revision: 42 }, '/x/log/node/node-a/1');
    expect(e.type).toBe('NodeDrainStarted');
    expect(e.revision).toBe(42);
    expect(e.data).toEqual({ reason: 'node deleted' });
  });
  it('an unknown type is an error (UnknownEventType), not a skip, and names the key', () => {
    try {
      decodeEvent(envelope({ type: 'NodeTeleported' }), 'k1');
      expect.unreachable();
    } catch (e) {
      expect(isIpamError(e, 'UnknownEventType')).toBe(true);
      expect((e as Error).message).toContain('k1');
    }
  });
  it('an unknown version is an error (UnknownEventVersion)', () =>
    expect(codeOf(() => decodeEvent(envelope({ v: 2 })))).toBe('UnknownEventVersion'));
  it.each([
    { name: 'missing id', over: { id: undefined } },
    { name: 'seq 0', over: { seq: 0 } },
    { name: 'bad time', over: { at: 'yesterday' } },
    { name: 'extra envelope field', over: { extra: 1 } },
    { name: 'wrong data', over: { data: { reason: 5 } } },
    { name: 'unknown data field', over: { data: { reason: 'x', more: 1 } } },
    { name: 'node event in a subnet stream', over: { stream: 'subnet/subnet-aaaa0001' } },
    { name: 'malformed node stream', over: { stream: 'node/Bad_Name' } },
    { name: 'not an object', over: null },
  ])('$name is InvalidEvent', ({ over }) =>
    expect(codeOf(() => decodeEvent(over === null ? 'junk' : envelope(over)))).toBe('InvalidEvent'));
  it('validates data field by field (IPs, ids)', () => {
    const bad = envelope({
      type: 'IpsBound',
      data: { intentId: 'i', eniId: 'eni-aaaa0001', ips: ['10.0.0.300'] },
    });
    expect(codeOf(() => decodeEvent(bad))).toBe('InvalidEvent');
  });
  it('upcasts an old version through the registry, then validates', () => {
    const catalogue = { Renamed: { v: 2, stream: 'cluster' as const, data: z.strictObject({ newName: z.string() }) } };
    const decode = makeDecoder(catalogue, { 'Renamed@1': (d) => ({ newName: (d as { oldName: string }).oldName }) });
    const e = decode(envelope({ stream: 'cluster', type: 'Renamed', v: 1, data: { oldName: 'x' } }));
    expect(e.v).toBe(2);
    expect(e.data).toEqual({ newName: 'x' });
    expect(codeOf(() => decode(envelope({ stream: 'cluster', type: 'Renamed', v: 3, data: {} })))).toBe(
      'UnknownEventVersion',
    );
  });
  it('every catalogue type has a version and a stream kind', () => {
    expect(Object.keys(eventCatalogue).length).toBeGreaterThanOrEqual(35);
    for (const spec of Object.values(eventCatalogue)) {
      expect(spec.v).toBeGreaterThanOrEqual(1);
      expect(['node', 'subnet', 'cluster']).toContain(spec.stream);
    }
  });
});

describe('isEnvelope (the hand-written envelope check)', () => {
  it('property: agrees with envelopeSchema on valid envelopes and on every kind of damage', () => {
    const str = (n: number) => fc.constantFrom('', 'x'.repeat(n), 'x'.repeat(n + 1), 'ok');
    const value = fc.oneof(
      str(100),
      str(200),
      str(300),
      fc.string(),
      fc.constantFrom(0, 1, -1, 2, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null, true, undefined),
      fc.integer({ min: -3, max: 5 }),
      fc.double(),
      fc.constantFrom(
        '2026-01-01T00:00:00Z',
        '2026-01-01T00:00:00.123+08:00',
        '2026-01-01T00:00:00',
        '2026-01-01T00:00Z',
        '2026-02-30T00:00:00Z',
        '2024-02-29T23:59:59.9Z',
        '2026-01-01T24:00:00Z',
        '2026-01-01 00:00:00Z',
        ' 2026-01-01T00:00:00Z',
      ),
      fc.constantFrom({}, [], { replica: 'r', term: 0 }, { replica: '', term: 1 }, { replica: 'r', term: -1 }),
      fc.constantFrom({ replica: 'r', term: 1, extra: 1 }, { replica: 'r', term: 1.5 }, { replica: 'r' }),
      fc.constantFrom({ podUid: 'p' }, { podUid: 5 }, { podUid: 'p'.repeat(201) }, { other: 'x' }, { eventId: '' }),
      fc.constantFrom({ commandId: undefined }, Object.create(null) as object),
    );
    const field = fc.constantFrom('id', 'stream', 'seq', 'type', 'v', 'at', 'by', 'cause', 'data', 'revision', 'x');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(field, value), { maxLength: 3 }),
        fc.array(field, { maxLength: 2 }),
        (edits, dropped) => {
          const e: Record<string, unknown> = { ...envelope(), revision: 7 };
          for (const [k, v] of edits) e[k] = v;
          for (const k of dropped) delete e[k];
          expect(isEnvelope(e)).toBe(envelopeSchema.safeParse(e).success);
        },
      ),
      { numRuns: 5000 },
    );
    expect(isEnvelope(envelope())).toBe(true);
  });

  it('a refused envelope is still explained by zod, naming the field', () => {
    expect(() => decodeEvent(envelope({ at: '2026-01-01T00:00:00' }), 'k9')).toThrow(
      /malformed event envelope at k9: at/,
    );
    expect(() => decodeEvent(envelope({ by: { replica: 'r', term: 1, x: 1 } }))).toThrow(/by/);
  });
});
