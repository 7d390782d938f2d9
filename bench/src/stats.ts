/** Small statistics for bench items: medians over repeats and nearest-rank percentiles. */

/** Nearest-rank percentile (p in 0..100) of `xs`; NaN for an empty list. */
export const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))] as number;
};

/** The median (mean of the two middle values for an even count); NaN for an empty list. */
export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Rounds to `digits` decimals (for figures in JSON and the table). */
export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** figure / baseline rounded to 3 decimals; null when there is no usable baseline. */
export const ratioOf = (figure: number, baseline: number | null): number | null =>
  baseline === null || !Number.isFinite(baseline) || baseline === 0 || !Number.isFinite(figure)
    ? null
    : round(figure / baseline, 3);

/** Pass/fail of `value` against `op target`; null when the value is unknown. */
export const judge = (value: number | null, op: '>=' | '<=', target: number): boolean | null => {
  if (value === null || !Number.isFinite(value)) return null;
  return op === '>=' ? value >= target : value <= target;
};
