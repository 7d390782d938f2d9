/** Plain-text tables for humans (`-o table`, the default). */
export const table = (headers: readonly string[], rows: readonly (readonly unknown[])[]): string => {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
};

/** `key: value` lines. */
export const fields = (pairs: readonly (readonly [string, unknown])[]): string => {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n')}\n`;
};
