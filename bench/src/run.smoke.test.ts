/**
 * Smoke test of `npm run bench`: the real runner in a child process, `--quick --json --only 1`
 * (item 1 starts etcd, the simulator and an ipamd replica; tens of seconds), and the shape of its
 * JSON and of the saved latest.json.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

const run = (argv: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/src/run.ts', ...argv], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.once('error', reject);
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });

it('npm run bench -- --quick --json --only 1 prints and saves one result with its baseline and the machine facts', async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
  const r = await run(['--quick', '--json', '--only', '1', '--results-dir', dir]);
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.machine).toEqual({
    cpus: expect.any(Number),
    loadBefore: [expect.any(Number), expect.any(Number), expect.any(Number)],
    loadAfter: [expect.any(Number), expect.any(Number), expect.any(Number)],
    node: process.version,
    date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    quick: true,
    root: expect.any(Boolean),
  });
  expect(Object.keys(out.results)).toEqual(['allocThroughput']);
  const a = out.results.allocThroughput;
  expect(a).toMatchObject({ status: 'measured', item: '1-alloc-throughput', unit: 'alloc/s', target: 'ratio >= 1.0' });
  expect(a.figure).toBeGreaterThan(0);
  expect(a.baseline).toBeGreaterThan(0);
  expect(a.ratio).toBeCloseTo(a.figure / a.baseline, 2);
  expect(a.pass).toBe(a.ratio >= 1);
  expect(a.details).toMatchObject({ nodes: 8, concurrency: 16, repeats: 1 });
  // group commit: at most one transaction per allocation (the raw puts between rounds not counted)
  expect(a.details.etcdRevisionsPerRound[0]).toBeGreaterThan(0);
  expect(a.details.etcdRevisionsPerRound[0]).toBeLessThanOrEqual(a.details.allocationsPerRound);
  // the CPU of every process while the load ran, in ticks of 10 ms: a quick round is too short for
  // etcd's share to show reliably, the leader's and the load generator's always do
  for (const role of ['leader', 'loadGenerator', 'total'])
    expect(a.details.cpuMsPerAllocation[role], role).toBeGreaterThan(0);
  for (const role of ['loadGenerator', 'total']) expect(a.details.cpuMsPerRawPut[role], role).toBeGreaterThan(0);
  // the floor API's round ran in its own process, through the same client, and was answered
  expect(a.details.floor.perRound).toHaveLength(1);
  expect(a.details.floor.perSecond).toBeGreaterThan(0);
  expect(a.details.floor.ratioToRaw).toBeCloseTo(a.details.floor.perSecond / a.baseline, 2);
  expect(a.details.floor.ipamdToFloor).toBeCloseTo(a.figure / a.details.floor.perSecond, 2);
  // its own role in the CPU figures (a quick round may be under one 10 ms tick of it)
  expect(a.details.floor.cpuMsPerRequest.floor).toBeGreaterThanOrEqual(0);
  expect(a.details.floor.cpuMsPerRequest.total).toBeGreaterThan(0);
  expect(JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'))).toEqual(out);
});

it('bad arguments exit 2 with the usage', async () => {
  const r = await run(['--only', '1', '--nope']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('usage: npm run bench');
  expect(r.stdout).toBe('');
});
