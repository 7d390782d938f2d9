import { parseArgs } from 'node:util';

/** The command line of `npm run bench`, parsed once. */
export interface BenchArgs {
  /** Item numbers or ids to run (`--only 1,2` or `--only 1-alloc-throughput`); null = all. */
  only: string[] | null;
  /** Smaller sizes (a smoke run). */
  quick: boolean;
  /** JSON on stdout instead of the table. */
  json: boolean;
  /** Where latest.json / previous.json go (default bench/results). */
  resultsDir: string | null;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--only 1,2] [--quick] [--json] [--results-dir DIR]
  --only ITEMS       comma-separated item numbers or ids (default: all)
  --quick            smaller sizes, for a smoke run
  --json             the results as JSON on stdout (progress stays on stderr)
  --results-dir DIR  where latest.json and previous.json are kept (default: bench/results)`;

/** Throws a plain Error with a message for the user on anything unknown or malformed. */
export const parseBenchArgs = (argv: readonly string[]): BenchArgs => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let only: string[] | null = null;
  if (values.only !== undefined) {
    only = values.only
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (only.length === 0) throw new Error('--only needs at least one item number or id');
    const bad = only.filter((s) => !/^[1-9][0-9]*(-[a-z0-9-]+)?$/.test(s));
    if (bad.length > 0) throw new Error(`--only: not an item number or id: ${bad.join(', ')}`);
  }
  return {
    only,
    quick: values.quick ?? false,
    json: values.json ?? false,
    resultsDir: values['results-dir'] ?? null,
    help: values.help ?? false,
  };
};

/** Whether item `id` (e.g. `1-alloc-throughput`) is selected by `only` (numbers or full ids). */
export const selects = (only: readonly string[] | null, id: string): boolean =>
  only === null || only.some((o) => o === id || (/^[0-9]+$/.test(o) && id.split('-')[0] === o));
