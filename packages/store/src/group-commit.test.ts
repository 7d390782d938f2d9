import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batchable, selectBatch } from './group-commit.js';
import { DEFAULT_LIMITS } from './limits.js';

const app = (streams: string[], over: Partial<Batchable> = {}): Batchable => ({
  streamNames: streams,
  fenceId: '',
  cost: { puts: streams.length * 2, reads: streams.length * 2, compares: streams.length, bytes: 500 },
  solo: false,
  ...over,
});

describe('selectBatch (group commit planning)', () => {
  it.each([
    {
      what: 'different streams share a transaction',
      queue: [app(['a']), app(['b']), app(['c'])],
      busy: [],
      picked: [0, 1, 2],
    },
    {
      what: 'the same stream waits for the next one',
      queue: [app(['a']), app(['a']), app(['b'])],
      busy: [],
      picked: [0, 2],
    },
    { what: 'a stream in flight waits', queue: [app(['a']), app(['b'])], busy: ['a'], picked: [1] },
    {
      what: 'a skipped multi-stream append blocks its other streams for those behind it',
      queue: [app(['a', 'b']), app(['b']), app(['c'])],
      busy: ['a'],
      picked: [2],
    },
    {
      what: 'another fence waits',
      queue: [app(['a'], { fenceId: 'f1' }), app(['b'], { fenceId: 'f2' })],
      busy: [],
      picked: [0],
    },
    { what: 'a solo append goes alone', queue: [app(['a']), app(['b'], { solo: true })], busy: [], picked: [0] },
    {
      what: 'a solo append at the head goes alone',
      queue: [app(['a'], { solo: true }), app(['b'])],
      busy: [],
      picked: [0],
    },
    {
      what: 'the op limit splits batches',
      // 4 puts each (3 events + head): 32 of them make 128 operations
      queue: Array.from({ length: 40 }, (_, k) =>
        app([`s${k}`], { cost: { puts: 4, reads: 2, compares: 1, bytes: 500 } }),
      ),
      busy: [],
      picked: Array.from({ length: 32 }, (_, k) => k),
    },
    {
      what: 'the byte limit splits batches',
      queue: [
        app(['a'], { cost: { puts: 2, reads: 2, compares: 1, bytes: 1_000_000 } }),
        app(['b'], { cost: { puts: 2, reads: 2, compares: 1, bytes: 600_000 } }),
      ],
      busy: [],
      picked: [0],
    },
  ])('$what', ({ queue, busy, picked }) => {
    expect(selectBatch(queue, new Set(busy), DEFAULT_LIMITS)).toEqual(picked);
  });

  it('property: a batch has disjoint streams, fits the limits, and never overtakes an earlier append on a stream', () => {
    const arbApp = fc.record({
      streams: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 3 }),
      events: fc.integer({ min: 1, max: 60 }),
      fence: fc.constantFrom('', 'f1'),
    });
    fc.assert(
      fc.property(fc.array(arbApp, { maxLength: 20 }), fc.subarray(['a', 'b', 'c']), (apps, busy) => {
        const queue = apps.map((a) =>
          app(a.streams, {
            fenceId: a.fence,
            cost: {
              puts: a.events + a.streams.length,
              reads: 2 * a.streams.length,
              compares: a.streams.length,
              bytes: a.events * 300,
            },
          }),
        );
        const picked = selectBatch(queue, new Set(busy), DEFAULT_LIMITS);
        const streams = picked.flatMap((k) => queue[k]?.streamNames ?? []);
        expect(new Set(streams).size).toBe(streams.length);
        expect(streams.some((s) => busy.includes(s))).toBe(false);
        expect(new Set(picked.map((k) => queue[k]?.fenceId)).size).toBeLessThanOrEqual(1);
        expect(picked.reduce((n, k) => n + (queue[k]?.cost.puts ?? 0), 0)).toBeLessThanOrEqual(
          DEFAULT_LIMITS.maxTxnOps,
        );
        for (const k of picked) {
          for (let j = 0; j < k; j++) {
            if (picked.includes(j)) continue;
            const shared = queue[j]?.streamNames.some((s) => queue[k]?.streamNames.includes(s));
            expect(shared).toBe(false);
          }
        }
        if (queue.length > 0 && !queue[0]?.streamNames.some((s) => busy.includes(s))) expect(picked[0]).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
