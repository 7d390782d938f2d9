/**
 * The contract between `npm run bench` (bench/src/run.ts) and its items (bench/src/items/*.ts).
 * Each item measures one promise of eni-ipam together with a raw baseline in the same run, so the
 * ratio stays meaningful on a shared, noisy machine.
 */

/** One measured figure, its baseline from the same run, and the target it is judged against. */
export interface BenchResult {
  /** Stable key in bench/results/latest.json, e.g. `allocThroughput`. */
  key: string;
  /** One line for the table. */
  title: string;
  /** The measured figure, in `unit`. */
  figure: number;
  unit: string;
  /** The raw baseline measured in the same run (same unit), or null when the item has none. */
  baseline: number | null;
  /** What the baseline is, e.g. `raw etcd put, 64 concurrent`. */
  baselineLabel: string;
  /** figure / baseline (or the item's documented ratio), null without a baseline. */
  ratio: number | null;
  /** The target in words, e.g. `ratio >= 1.0`. */
  target: string;
  /** Whether the target is met; null when it cannot be judged in this run (say why in details). */
  pass: boolean | null;
  /** Supporting figures (medians, sample counts, percentiles, sizes). */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  /** Smaller sizes for a smoke run (CI); the full run uses the issue's sizes. */
  quick: boolean;
  /** A private scratch directory for this item (removed by the runner afterwards). */
  tmpDir: string;
  /** Progress to stderr (the table and JSON go to stdout). */
  log(message: string): void;
}

export interface BenchItem {
  /** The item number in issue 8 (1-9) and a short name, e.g. `1-alloc-throughput`. */
  id: string;
  title: string;
  /** Needs root and network namespaces (skipped with a reason otherwise, never faked). */
  needsRoot?: boolean;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
