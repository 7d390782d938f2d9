/** `vpc-sim` as a real process: it prints its address, serves the SDK, and stops on SIGTERM. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createCloudLogger } from '../adapter/logger.js';
import { createTencentVpcApi } from '../adapter/tencent-vpc-api.js';
import { testSeed } from '../testing/index.js';

const bin = fileURLToPath(new URL('../../bin/vpc-sim.mjs', import.meta.url));
const dir = mkdtempSync(join('/dev/shm', 'eni-ipam-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
};

it('starts from a seed file, prints its address, answers the SDK, stops on SIGTERM', async () => {
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify(testSeed()));
  const p = run([
    '--seed',
    seed,
    '--secret-id',
    'AKIDcli',
    '--secret-key',
    'cli-key',
    '--port',
    '0',
    '--region',
    'ap-guangzhou',
  ]);
  let url = '';
  for (let i = 0; i < 600 && !url; i++) {
    url = /listening on (http:\/\/\S+)/.exec(p.out())?.[1] ?? '';
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  expect(url, p.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const api = createTencentVpcApi({
    region: 'ap-guangzhou',
    credentials: { secretId: 'AKIDcli', secretKey: 'cli-key' },
    clusterId: 'cls-cli',
    connectTo: { host: '127.0.0.1', port: Number(new URL(url).port) },
    logger: createCloudLogger({ level: 'silent' }),
  });
  expect(await api.describeInstanceLimits('ins-00000000')).toEqual({ maxEnis: 4, ipsPerEni: 10 });
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}, 60_000);

it.each([
  { case: 'unknown flag', args: ['--bogus'] },
  { case: 'no credentials', args: ['--seed', '/nonexistent.json'] },
])('$case: exits 2 with the usage', async ({ args }) => {
  const p = run(args);
  expect(await p.exited).toBe(2);
  expect(p.err()).toContain('usage: vpc-sim');
}, 60_000);

it('a bad seed file: exits 1 saying what is wrong', async () => {
  const seed = join(dir, 'bad.json');
  writeFileSync(seed, JSON.stringify({ vpc: { vpcId: 'vpc-1', cidr: '10.0.0.0/8' }, subnets: [] }));
  const p = run(['--seed', seed, '--secret-id', 'a', '--secret-key', 'b']);
  expect(await p.exited).toBe(1);
  expect(p.err()).toContain('invalid VPC simulator seed');
}, 60_000);
