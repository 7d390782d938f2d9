import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, median, percentile, ratioOf, round } from './stats.js';

describe('stats', () => {
  it.each([
    { xs: [5, 1, 3], p: 50, want: 3 },
    { xs: [1, 2, 3, 4], p: 50, want: 2 },
    { xs: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, want: 99 },
    { xs: Array.from({ length: 100 }, (_, i) => i + 1), p: 100, want: 100 },
    { xs: [7], p: 0, want: 7 },
  ])('percentile($xs, $p) = $want (nearest rank)', ({ xs, p, want }) => expect(percentile(xs, p)).toBe(want));

  it('median of odd and even counts; NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(percentile([], 50)).toBeNaN();
  });

  it('a percentile is always one of the samples and grows with p', () =>
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1 }), fc.integer({ min: 0, max: 99 }), (xs, p) => {
        expect(xs).toContain(percentile(xs, p));
        expect(percentile(xs, p)).toBeLessThanOrEqual(percentile(xs, p + 1));
      }),
    ));

  it.each([
    { figure: 150, baseline: 100, want: 1.5 },
    { figure: 1, baseline: 3, want: 0.333 },
    { figure: 1, baseline: null, want: null },
    { figure: 1, baseline: 0, want: null },
    { figure: Number.NaN, baseline: 1, want: null },
  ])('ratioOf($figure, $baseline) = $want', ({ figure, baseline, want }) =>
    expect(ratioOf(figure, baseline)).toBe(want));

  it.each([
    { value: 1.0, op: '>=' as const, target: 1, want: true },
    { value: 0.99, op: '>=' as const, target: 1, want: false },
    { value: 2, op: '<=' as const, target: 2, want: true },
    { value: 2.01, op: '<=' as const, target: 2, want: false },
    { value: null, op: '<=' as const, target: 2, want: null },
  ])('judge($value $op $target) = $want', ({ value, op, target, want }) => expect(judge(value, op, target)).toBe(want));

  it('round', () => expect(round(1.23456, 2)).toBe(1.23));
});
