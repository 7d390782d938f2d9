import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isIpamError } from '../errors.js';
import { eventCatalogue } from './catalogue.js';
import { decodeEvent, makeDecoder } from './decode.js';

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
