import { IpamError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART_RE = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go `time.Duration` string (`10m0s`, `1h`, `1.5h`, `300ms`, `-2m`, `0`) into
 * milliseconds, as `--claim-expired-duration` takes it. Hand-written because the npm duration
 * parsers accept other grammars (spaces, `min`, `days`) that Go rejects; this follows Go's
 * `time.ParseDuration` exactly (a unit is required except for `0`). Sub-millisecond parts are
 * kept as fractions; callers round.
 *
 * @example parseGoDuration('10m0s') === 600_000
 * @throws IpamError('InvalidInput') on anything Go would reject.
 */
export const parseGoDuration = (input: unknown): number => {
  const bad = () => new IpamError('InvalidInput', `invalid Go duration ${JSON.stringify(input)}`, { input });
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) throw bad();
  let s = input;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s.length === 0) throw bad();
  let total = 0;
  PART_RE.lastIndex = 0;
  while (PART_RE.lastIndex < s.length) {
    const m = PART_RE.exec(s);
    const num = m?.[1];
    if (!m || num === undefined || num === '' || num === '.') throw bad();
    total += Number(num) * (UNIT_MS[m[2] as string] as number);
  }
  return sign * total;
};

/** Formats milliseconds the way Go prints durations (`10m0s`, `1h0m0s`, `1.5s`, `0s`). */
export const formatGoDuration = (ms: number): string => {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${Number((rest / 1000).toFixed(3))}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
};
