import { describe, expect, it } from 'vitest';
import {
  buildLatest,
  compare,
  formatComparison,
  formatTable,
  type ItemOutcome,
  type LatestJson,
  type MachineFacts,
  parseLatest,
} from './report.js';
import type { BenchResult } from './types.js';

const machine: MachineFacts = {
  cpus: 2,
  loadBefore: [1, 0.5, 0.25],
  loadAfter: [2, 1, 0.5],
  node: 'v20.0.0',
  date: '2026-11-22T09:00:00.000Z',
  quick: false,
  root: true,
};

const result = (o: Partial<BenchResult> = {}): BenchResult => ({
  key: 'allocThroughput',
  title: 'allocations/s',
  figure: 1200,
  unit: 'alloc/s',
  baseline: 1000,
  baselineLabel: 'raw put',
  ratio: 1.2,
  target: 'ratio >= 1.0',
  pass: true,
  details: { repeats: 5 },
  ...o,
});

const outcomes: ItemOutcome[] = [
  { id: '1-alloc-throughput', title: 'throughput', outcome: { kind: 'measured', results: [result()] } },
  { id: '9-cni-add', title: 'cni', outcome: { kind: 'skipped', reason: 'needs root (network namespaces)' } },
  { id: '6-failover', title: 'failover', outcome: { kind: 'error', error: 'Error: boom\n    at x' } },
];

describe('latest.json', () => {
  it('one key per result, skipped and failed items under their id, with the machine facts', () => {
    const latest = buildLatest(machine, outcomes);
    expect(latest).toEqual({
      machine,
      results: {
        allocThroughput: {
          status: 'measured',
          item: '1-alloc-throughput',
          title: 'allocations/s',
          figure: 1200,
          unit: 'alloc/s',
          baseline: 1000,
          baselineLabel: 'raw put',
          ratio: 1.2,
          target: 'ratio >= 1.0',
          pass: true,
          details: { repeats: 5 },
        },
        '9-cni-add': {
          status: 'skipped',
          item: '9-cni-add',
          title: 'cni',
          reason: 'needs root (network namespaces)',
          pass: null,
        },
        '6-failover': {
          status: 'error',
          item: '6-failover',
          title: 'failover',
          error: 'Error: boom\n    at x',
          pass: false,
        },
      },
    });
    expect(parseLatest(JSON.stringify(latest))).toEqual(latest);
  });

  it('two results with one key is a bug in an item, not a silent overwrite', () =>
    expect(() =>
      buildLatest(machine, [
        { id: '1-a', title: 'a', outcome: { kind: 'measured', results: [result()] } },
        { id: '2-b', title: 'b', outcome: { kind: 'measured', results: [result()] } },
      ]),
    ).toThrow('duplicate result key allocThroughput (item 2-b)'));

  it.each(['not json', '{}', '{"machine":{}}', 'null'])('an unusable previous file (%s) is ignored', (text) =>
    expect(parseLatest(text)).toBeNull());
});

describe('the table', () => {
  it('has figure, baseline, ratio, target and pass per row, and the machine facts', () => {
    const lines = formatTable(buildLatest(machine, outcomes)).split('\n');
    expect(lines[0]).toMatch(/^key\s+figure\s+baseline\s+ratio\s+target\s+pass$/);
    expect(lines[2]).toMatch(/^allocThroughput\s+1200 alloc\/s\s+1000 alloc\/s\s+1\.2\s+ratio >= 1\.0\s+PASS$/);
    expect(lines[3]).toMatch(/^9-cni-add\s+skipped .*n\/a \(needs root \(network namespaces\)\)$/);
    expect(lines[4]).toMatch(/^6-failover\s+error .*FAIL \(Error: boom\)$/);
    expect(lines.at(-1)).toBe(
      'machine: 2 cpus, load 1.00/0.50/0.25 before, 2.00/1.00/0.50 after; node v20.0.0; 2026-11-22T09:00:00.000Z',
    );
  });

  it.each([
    { figure: 0.05, want: '0.05 ms' },
    { figure: 12.345, want: '12.3 ms' },
    { figure: 1.5, want: '1.5 ms' },
    { figure: 0, want: '0 ms' },
  ])('figure $figure shows as $want', ({ figure, want }) => {
    const t = formatTable(
      buildLatest(machine, [
        {
          id: '2-x',
          title: 'x',
          outcome: {
            kind: 'measured',
            results: [result({ figure, unit: 'ms', baseline: null, ratio: null, pass: null })],
          },
        },
      ]),
    );
    expect(t.split('\n')[2]).toMatch(new RegExp(`^allocThroughput\\s+${want}\\s+-\\s+-\\s+ratio >= 1\\.0\\s+n/a$`));
  });
});

describe('comparison with the previous run', () => {
  const run = (figure: number, pass: boolean, date: string): LatestJson =>
    buildLatest({ ...machine, date }, [
      { id: '1-a', title: 'a', outcome: { kind: 'measured', results: [result({ figure, pass })] } },
    ]);

  it('per key: before, after, change in percent, and a pass that flipped', () => {
    const rows = compare(run(1000, true, 'd1'), run(900, false, 'd2'));
    expect(rows).toEqual([
      { key: 'allocThroughput', before: 1000, after: 900, changePercent: -10, passBefore: true, passAfter: false },
    ]);
    expect(formatComparison(rows, 'd1')).toBe(
      [
        'compared with the previous run (d1):',
        '  allocThroughput                    1000 -> 900        (-10%)  PASS -> FAIL',
      ].join('\n'),
    );
  });

  it('keys only in one of the runs are listed without a change', () => {
    const prev = run(1000, true, 'd1');
    const latest = buildLatest(machine, [
      { id: '9-cni-add', title: 'cni', outcome: { kind: 'skipped', reason: 'needs root' } },
    ]);
    expect(compare(prev, latest)).toEqual([
      { key: '9-cni-add', before: null, after: null, changePercent: null, passBefore: null, passAfter: null },
      { key: 'allocThroughput', before: 1000, after: null, changePercent: null, passBefore: true, passAfter: null },
    ]);
  });
});
