/**
 * The pure parts of the runner: the shape of bench/results/latest.json, the table, and the
 * comparison with the previous run.
 */
import type { BenchResult } from './types.js';

/** Facts about the machine the figures were measured on (the machine is shared and noisy). */
export interface MachineFacts {
  cpus: number;
  /** 1, 5 and 15 minute load averages. */
  loadBefore: readonly number[];
  loadAfter: readonly number[];
  node: string;
  /** ISO date of the start of the run. */
  date: string;
  quick: boolean;
  root: boolean;
}

/** One entry of latest.json: a measured result, a skipped item, or an item that failed to run. */
export type ResultEntry =
  | ({ status: 'measured'; item: string } & Omit<BenchResult, 'key'>)
  | { status: 'skipped'; item: string; title: string; reason: string; pass: null }
  | { status: 'error'; item: string; title: string; error: string; pass: false };

export interface LatestJson {
  machine: MachineFacts;
  /** One key per result (BenchResult.key), or per item id when it was skipped or failed. */
  results: Record<string, ResultEntry>;
}

export interface ItemOutcome {
  id: string;
  title: string;
  outcome:
    | { kind: 'measured'; results: BenchResult[] }
    | { kind: 'skipped'; reason: string }
    | { kind: 'error'; error: string };
}

export const buildLatest = (machine: MachineFacts, outcomes: readonly ItemOutcome[]): LatestJson => {
  const results: Record<string, ResultEntry> = {};
  for (const o of outcomes) {
    const c = o.outcome;
    if (c.kind === 'skipped')
      results[o.id] = { status: 'skipped', item: o.id, title: o.title, reason: c.reason, pass: null };
    else if (c.kind === 'error')
      results[o.id] = { status: 'error', item: o.id, title: o.title, error: c.error, pass: false };
    else
      for (const { key, ...r } of c.results) {
        if (results[key]) throw new Error(`duplicate result key ${key} (item ${o.id})`);
        results[key] = { status: 'measured', item: o.id, ...r };
      }
  }
  return { machine, results };
};

const fmt = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(3).replace(/\.?0+$/, '') || '0';
};

const passText = (p: boolean | null): string => (p === null ? 'n/a' : p ? 'PASS' : 'FAIL');

/** A plain-text table with one row per result: figure, baseline, ratio, target, pass. */
export const formatTable = (latest: LatestJson): string => {
  const header = ['key', 'figure', 'baseline', 'ratio', 'target', 'pass'];
  const rows: string[][] = Object.entries(latest.results).map(([key, r]) => {
    if (r.status === 'skipped') return [key, 'skipped', '-', '-', '-', `n/a (${r.reason})`];
    if (r.status === 'error') return [key, 'error', '-', '-', '-', `FAIL (${r.error.split('\n')[0]})`];
    return [
      key,
      `${fmt(r.figure)} ${r.unit}`,
      r.baseline === null ? '-' : `${fmt(r.baseline)} ${r.unit}`,
      fmt(r.ratio),
      r.target,
      passText(r.pass),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const m = latest.machine;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `machine: ${m.cpus} cpus, load ${m.loadBefore.map((l) => l.toFixed(2)).join('/')} before, ` +
      `${m.loadAfter.map((l) => l.toFixed(2)).join('/')} after; node ${m.node}; ${m.date}${m.quick ? '; --quick' : ''}`,
  ].join('\n');
};

export interface Comparison {
  key: string;
  before: number | null;
  after: number | null;
  /** (after - before) / before in percent, null when either is missing. */
  changePercent: number | null;
  passBefore: boolean | null;
  passAfter: boolean | null;
}

const figureOf = (r: ResultEntry | undefined): number | null =>
  r?.status === 'measured' && Number.isFinite(r.figure) ? r.figure : null;

/** Per key present in either run: the figure before and after and the change. */
export const compare = (previous: LatestJson, latest: LatestJson): Comparison[] => {
  const keys = [...new Set([...Object.keys(latest.results), ...Object.keys(previous.results)])];
  return keys.map((key) => {
    const b = previous.results[key];
    const a = latest.results[key];
    const before = figureOf(b);
    const after = figureOf(a);
    const changePercent =
      before === null || after === null || before === 0 ? null : Math.round(((after - before) / before) * 1000) / 10;
    return { key, before, after, changePercent, passBefore: b?.pass ?? null, passAfter: a?.pass ?? null };
  });
};

export const formatComparison = (cs: readonly Comparison[], previousDate: string): string => {
  if (cs.length === 0) return '';
  const lines = cs.map((c) => {
    const change = c.changePercent === null ? '' : ` (${c.changePercent >= 0 ? '+' : ''}${c.changePercent}%)`;
    const pass = c.passBefore === c.passAfter ? '' : `  ${passText(c.passBefore)} -> ${passText(c.passAfter)}`;
    return `  ${c.key.padEnd(28)} ${fmt(c.before).padStart(10)} -> ${fmt(c.after).padEnd(10)}${change}${pass}`;
  });
  return [`compared with the previous run (${previousDate}):`, ...lines].join('\n');
};

/** Parses a previous latest.json; null when it is missing the expected shape (e.g. an old format). */
export const parseLatest = (text: string): LatestJson | null => {
  try {
    const j = JSON.parse(text) as Partial<LatestJson>;
    if (!j || typeof j !== 'object' || !j.machine || !j.results || typeof j.results !== 'object') return null;
    return j as LatestJson;
  } catch {
    return null;
  }
};
