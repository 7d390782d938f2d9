import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBenchArgs } from './args.js';
import { runBench } from './runner.js';
import type { BenchItem, BenchResult } from './types.js';

const measured = (figure: number): BenchResult => ({
  key: 'fake',
  title: 'a fake figure',
  figure,
  unit: 'ops/s',
  baseline: 100,
  baselineLabel: 'fake baseline',
  ratio: figure / 100,
  target: 'ratio >= 1.0',
  pass: figure >= 100,
});

describe('runBench (with fake items)', () => {
  let dir: string;
  const logs: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-runner-test-'));
    logs.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const scratch: string[] = [];
  const fake = (figure: number): BenchItem => ({
    id: '1-fake',
    title: 'fake',
    run: async (ctx) => {
      scratch.push(ctx.tmpDir);
      expect(existsSync(ctx.tmpDir)).toBe(true);
      ctx.log(`quick=${ctx.quick}`);
      return [measured(figure)];
    },
  });
  const rootOnly: BenchItem = { id: '9-root', title: 'root only', needsRoot: true, run: async () => [measured(1)] };
  const failing: BenchItem = {
    id: '6-fails',
    title: 'fails',
    run: async () => {
      throw new Error('etcd did not start');
    },
  };
  const opts = (argv: string[], items: BenchItem[], isRoot = false) => ({
    args: parseBenchArgs(argv),
    items,
    resultsDir: dir,
    log: (m: string) => void logs.push(m),
    isRoot,
  });

  it('runs the selected items, skips root-only ones without root, records failures, saves latest.json', async () => {
    const out = await runBench(opts(['--quick'], [fake(120), rootOnly, failing]));
    expect(out.failed).toBe(true);
    expect(out.comparison).toBeNull();
    expect(Object.keys(out.latest.results)).toEqual(['fake', '9-root', '6-fails']);
    expect(out.latest.results['9-root']).toMatchObject({
      status: 'skipped',
      reason: 'needs root (network namespaces)',
    });
    expect(out.latest.results['6-fails']).toMatchObject({ status: 'error', pass: false });
    expect(out.latest.machine).toMatchObject({ quick: true, root: false, node: process.version });
    expect(out.latest.machine.loadBefore).toHaveLength(3);
    expect(JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'))).toEqual(out.latest);
    expect(logs).toContain('  [1-fake] quick=true');
    // the scratch directory is removed afterwards
    expect(existsSync(scratch.at(-1) as string)).toBe(false);
  });

  it('--only picks items by number; the old latest.json becomes previous.json and is compared', async () => {
    await runBench(opts(['--only', '1'], [fake(100), failing]));
    const out = await runBench(opts(['--only', '1'], [fake(150), failing]));
    expect(out.failed).toBe(false);
    expect(Object.keys(out.latest.results)).toEqual(['fake']);
    expect(out.comparison?.rows).toEqual([
      { key: 'fake', before: 100, after: 150, changePercent: 50, passBefore: true, passAfter: true },
    ]);
    const previous = JSON.parse(await readFile(join(dir, 'previous.json'), 'utf8'));
    expect(previous.results.fake.figure).toBe(100);
  });

  it('a root-only item runs with root', async () => {
    const out = await runBench(opts(['--only', '9'], [rootOnly], true));
    expect(out.latest.results.fake).toMatchObject({ status: 'measured', item: '9-root' });
  });

  it('an unknown --only item is an error before anything runs', async () => {
    await expect(runBench(opts(['--only', '4'], [fake(1)]))).rejects.toThrow('--only: no such item: 4');
    expect(existsSync(join(dir, 'latest.json'))).toBe(false);
  });
});
