/** One place where two JSON values differ. */
export interface Difference {
  /** Dotted path, e.g. `nodes.n1.enis.eni-1.ips.10.0.1.5.status`. */
  path: string;
  expected: unknown;
  actual: unknown;
}

/**
 * Structural difference of two JSON values (projections and snapshots are plain JSON). Hand-written:
 * it is 20 lines, and the libraries that do this (deep-diff, jest-diff) print for humans or carry
 * kinds we do not need; here every differing leaf or missing key is one entry with its path.
 */
export const diffJson = (
  expected: unknown,
  actual: unknown,
  path = '',
  out: Difference[] = [],
  max = 200,
): Difference[] => {
  if (out.length >= max) return out;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  if (isObj(expected) && isObj(actual) && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const k of keys) diffJson(expected[k], actual[k], path ? `${path}.${k}` : k, out, max);
    return out;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push({ path: path || '.', expected, actual });
  return out;
};
