/**
 * Runs the selected bench items one after the other, each with a private scratch directory,
 * records the machine's load around the run, saves latest.json (moving the old one to
 * previous.json) and returns what to print.
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchArgs, selects } from './args.js';
import {
  buildLatest,
  type Comparison,
  compare,
  type ItemOutcome,
  type LatestJson,
  type MachineFacts,
  parseLatest,
} from './report.js';
import type { BenchItem } from './types.js';

export interface RunOptions {
  args: BenchArgs;
  items: readonly BenchItem[];
  resultsDir: string;
  /** Progress lines (stderr). */
  log(message: string): void;
  /** Whether network namespaces can be made (root); default: uid 0. */
  isRoot?: boolean;
}

export interface RunOutcome {
  latest: LatestJson;
  /** The comparison with the previous latest.json, when there was one. */
  comparison: { previousDate: string; rows: Comparison[] } | null;
  /** Whether some item threw (the exit code is then non-zero). */
  failed: boolean;
}

const load = () => loadavg().map((l) => Math.round(l * 100) / 100);

export const runBench = async (o: RunOptions): Promise<RunOutcome> => {
  const selected = o.items.filter((i) => selects(o.args.only, i.id));
  if (o.args.only) {
    const unknown = o.args.only.filter((s) => !o.items.some((i) => selects([s], i.id)));
    if (unknown.length > 0)
      throw new Error(`--only: no such item: ${unknown.join(', ')} (known: ${o.items.map((i) => i.id).join(', ')})`);
  }
  const isRoot = o.isRoot ?? process.getuid?.() === 0;
  const date = new Date().toISOString();
  const loadBefore = load();
  const outcomes: ItemOutcome[] = [];
  for (const item of selected) {
    if (item.needsRoot && !isRoot) {
      outcomes.push({
        id: item.id,
        title: item.title,
        outcome: { kind: 'skipped', reason: 'needs root (network namespaces)' },
      });
      o.log(`${item.id}: skipped (needs root)`);
      continue;
    }
    const tmpDir = await mkdtemp(join(tmpdir(), `eni-bench-${item.id}-`));
    const t0 = performance.now();
    o.log(`${item.id}: ${item.title} ...`);
    try {
      const results = await item.run({ quick: o.args.quick, tmpDir, log: (m) => o.log(`  [${item.id}] ${m}`) });
      outcomes.push({ id: item.id, title: item.title, outcome: { kind: 'measured', results } });
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      o.log(`${item.id}: FAILED: ${error}`);
      outcomes.push({ id: item.id, title: item.title, outcome: { kind: 'error', error } });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    o.log(`${item.id}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const machine: MachineFacts = {
    cpus: cpus().length,
    loadBefore,
    loadAfter: load(),
    node: process.version,
    date,
    quick: o.args.quick,
    root: isRoot,
  };
  const latest = buildLatest(machine, outcomes);

  await mkdir(o.resultsDir, { recursive: true });
  const latestPath = join(o.resultsDir, 'latest.json');
  const previousText = await readFile(latestPath, 'utf8').catch(() => null);
  const previous = previousText === null ? null : parseLatest(previousText);
  if (previousText !== null) await rename(latestPath, join(o.resultsDir, 'previous.json'));
  await writeFile(latestPath, `${JSON.stringify(latest, null, 2)}\n`);
  return {
    latest,
    comparison: previous ? { previousDate: previous.machine.date, rows: compare(previous, latest) } : null,
    failed: outcomes.some((x) => x.outcome.kind === 'error'),
  };
};
