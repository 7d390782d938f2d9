/**
 * isHotCommand (the hand-written check of AllocateIp and ReleaseIp) against nodeCommandSchema:
 * the same verdict on valid commands and on every kind of damage, and what parseNodeCommand
 * returns for an accepted command is what zod would have returned.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpamError } from '../errors.js';
import { isHotCommand, nodeCommandSchema, parseNodeCommand } from './commands.js';

const meta = { id: 'cmd-1', at: '2026-01-01T00:00:00.000Z', by: { replica: 'r1', term: 3 } };
const allocate = () => ({
  type: 'AllocateIp',
  ...meta,
  cause: { podUid: 'u-1' },
  node: 'node-a',
  pod: { namespace: 'default', name: 'web-0', uid: 'u-1' },
  containerId: 'c0ffee',
});
const release = () => ({ type: 'ReleaseIp', ...meta, node: 'node-a', containerId: 'c0ffee', why: 'pod deleted' });

const str = (n: number) => fc.constantFrom('', 'x'.repeat(n), 'x'.repeat(n + 1), 'ok');
const value = fc.oneof(
  str(60),
  str(128),
  str(200),
  str(2000),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('node-a', 'Node_A', 'a.b', 'a..b', '-a', 'a'.repeat(64), `${'a'.repeat(63)}.${'b'.repeat(190)}`),
  fc.constantFrom('c0ffee', 'c 1', 'c/1', 'cmd.1_-', 'cmd:1', 'AllocateIp', 'ReleaseIp', 'AssignEni'),
  fc.constantFrom(0, 1, -1, 999, 1000, 1000.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null, true, undefined),
  fc.integer({ min: -3, max: 5000 }),
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00.123+08:00',
    '2026-01-01T00:00:00',
    '2026-02-30T00:00:00Z',
    '2026-01-01 00:00:00Z',
  ),
  fc.constantFrom({}, [], { replica: 'r', term: 0 }, { replica: '', term: 1 }, { replica: 'r', term: -1 }),
  fc.constantFrom({ replica: 'r', term: 1, extra: 1 }, { replica: 'r', term: 1.5 }, { replica: 'r' }),
  fc.constantFrom({ podUid: 'p' }, { podUid: 5 }, { podUid: 'p'.repeat(201) }, { other: 'x' }, { eventId: '' }),
  fc.constantFrom({ commandId: undefined }, Object.create(null) as object),
  fc.constantFrom(
    { namespace: 'default', name: 'web-0' },
    { namespace: 'default', name: 'web-0', uid: '' },
    { namespace: 'default', name: 'web-0', uid: 'u'.repeat(129) },
    { namespace: 'Default', name: 'web-0' },
    { namespace: 'a.b', name: 'web-0' },
    { namespace: 'default', name: 'web.0' },
    { namespace: 'default', name: 'Web' },
    { namespace: 'default', name: 'web-0', node: 'x' },
    { namespace: 'default' },
  ),
);
const field = fc.constantFrom(
  'type',
  'id',
  'at',
  'by',
  'cause',
  'node',
  'pod',
  'containerId',
  'why',
  'claimExpiryMs',
  'eniId',
  'x',
);

describe('isHotCommand agrees with nodeCommandSchema', () => {
  it('the same verdict on valid commands and on every kind of damage, and the same value out', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(field, value), { maxLength: 3 }),
        fc.array(field, { maxLength: 2 }),
        (isAllocate, edits, dropped) => {
          const c: Record<string, unknown> = isAllocate ? allocate() : release();
          for (const [k, v] of edits) c[k] = v;
          for (const k of dropped) delete c[k];
          const zod = nodeCommandSchema.safeParse(c);
          if (c.type === 'AllocateIp' || c.type === 'ReleaseIp') expect(isHotCommand(c)).toBe(zod.success);
          else expect(isHotCommand(c)).toBe(false); // other types: zod alone
          if (zod.success) expect(parseNodeCommand(c)).toEqual(zod.data);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('the same verdict on every kind of damage to an AllocateIp pod', () => {
    const podField = fc.constantFrom('namespace', 'name', 'uid', 'node');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(podField, value), { maxLength: 2 }),
        fc.array(podField, { maxLength: 1 }),
        (edits, dropped) => {
          const pod: Record<string, unknown> = { namespace: 'default', name: 'web-0', uid: 'u-1' };
          for (const [k, v] of edits) pod[k] = v;
          for (const k of dropped) delete pod[k];
          const c = { ...allocate(), pod };
          expect(isHotCommand(c)).toBe(nodeCommandSchema.safeParse(c).success);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('accepts the plain commands, and a refused one still gets zod’s code and message', () => {
    expect(isHotCommand(allocate())).toBe(true);
    expect(isHotCommand(release())).toBe(true);
    expect(isHotCommand({ ...release(), claimExpiryMs: null })).toBe(true);
    try {
      parseNodeCommand({ ...allocate(), node: 'Bad_Node' });
      expect.unreachable();
    } catch (e) {
      expect(isIpamError(e, 'InvalidNodeName')).toBe(true);
      expect((e as Error).message).toContain('at node');
    }
  });
});
