/**
 * `npm run demo` end to end through its real entry (scripts/demo.mjs): a small run must pass
 * every check (exit 0, `ipamctl verify` clean); as root (CI) it runs in real network namespaces
 * and its pings between pods must answer, and `--ipam-only` runs without them; a SIGINT mid-run
 * must stop everything the demo started: no process, namespace, temp dir or etcd data dir left.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const started: ChildProcess[] = [];

const runDemo = (args: string[]) => {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'demo.mjs'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const run = {
    child,
    out: '',
    exit: undefined as Promise<{ code: number | null; signal: string | null }> | undefined,
  };
  const add = (b: Buffer) => {
    run.out += b.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  run.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return run as typeof run & { exit: Promise<{ code: number | null; signal: string | null }> };
};

/** Every process below `pid`, with its command line (from /proc). */
const descendants = (pid: number): { pid: number; cmd: string }[] => {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        // gone meanwhile
      }
      out.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(pid);
  return out;
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

const netnsList = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
const asRoot = process.getuid?.() === 0;

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('a small run passes every check and ends with a clean ipamctl verify; as root, pods ping across nodes', async () => {
    const run = runDemo(['--nodes', '3', '--pods', '8', '--duration', '12']);
    const { code } = await run.exit;
    if (asRoot) {
      expect(run.out).toContain('dataplane: real network namespaces');
      expect(run.out).toMatch(
        /ok {3}ping shared -> shared across nodes: \S+ \(10\.0\.\d+\.\d+, 10\.0\.\d\.\d+\) -> \S+ \(10\.0\.\d+\.\d+, 10\.0\.\d\.\d+\)/,
      );
      expect(run.out).toMatch(/ok {3}ping exclusive ENI -> shared across nodes/);
      expect(run.out).toMatch(/ok {3}ping from the VPC: \d+ of \d+ running pods answer/);
    } else {
      expect(run.out).toContain('dataplane: IPAM-only (not running as root)');
    }
    expect(run.out, run.out).toContain('OK: no violations, no differences');
    expect(run.out).toMatch(/failover: ipamd-\d leads [\d.]+ s after ipamd-\d was killed/);
    expect(run.out).toMatch(/== ipamctl history ip 10\.0\.\d+\.\d+ \(held in turn by default\/\S+, default\//);
    expect(run.out).toMatch(/2 StatefulSet pods kept their address across \d+ reschedules?/);
    expect(run.out).toContain('every check passed');
    expect(code).toBe(0);
  });

  it('--ipam-only: no network namespace, and it says so', async () => {
    const before = netnsList();
    const run = runDemo(['--nodes', '2', '--pods', '4', '--duration', '10', '--ipam-only']);
    await waitFor(() => run.out.includes('ramp up to') || run.child.exitCode !== null, {
      timeoutMs: 240_000,
      intervalMs: 200,
      what: 'the demo running',
    });
    expect(netnsList().filter((n) => !before.includes(n))).toEqual([]);
    const { code } = await run.exit;
    expect(run.out).toContain('dataplane: IPAM-only (--ipam-only)');
    expect(run.out).not.toContain('== ping between pods');
    expect(run.out).toContain('every check passed');
    expect(code).toBe(0);
  });

  it('SIGINT mid-run stops everything it started: no process, temp dir or etcd data dir left', async () => {
    const run = runDemo(['--nodes', '2', '--pods', '6', '--duration', '60']);
    const pid = run.child.pid ?? 0;
    await waitFor(() => run.out.includes('ramp up to'), {
      timeoutMs: 240_000,
      intervalMs: 200,
      what: 'the demo running',
    });
    const workDir = /built into (\S+)\/cni-bin/.exec(run.out)?.[1];
    const procs = descendants(pid);
    const dataDirs = procs.flatMap((p) => /--data-dir[= ](\S+)/.exec(p.cmd)?.[1] ?? []);
    expect(workDir && existsSync(workDir)).toBeTruthy();
    expect(procs.filter((p) => p.cmd.includes('ipamd.mjs')).length).toBeGreaterThanOrEqual(3);
    expect(dataDirs.length).toBe(1);
    const sfx = /\(\*-(\w+)\) and agent processes|network namespaces: vpc-(\w+)/.exec(run.out);
    const suffix = sfx?.[1] ?? sfx?.[2];
    if (asRoot) {
      expect(suffix, run.out).toBeTruthy();
      expect(netnsList().filter((n) => n.endsWith(`-${suffix}`)).length).toBeGreaterThan(2); // vpc, nodes, pods
    }

    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code, run.out).toBe(130);
    expect(run.out).toContain('no process, socket or temp dir left behind');
    await waitFor(() => procs.every((p) => !alive(p.pid)), { timeoutMs: 10_000, what: 'every demo process gone' });
    expect(existsSync(workDir ?? '')).toBe(false);
    for (const d of dataDirs) expect(existsSync(d)).toBe(false);
    if (suffix) expect(netnsList().filter((n) => n.endsWith(`-${suffix}`))).toEqual([]);
  });
});
