import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEtcd, sweepStaleEtcdDirs } from './etcd-harness.js';

const harness = fileURLToPath(new URL('./etcd-harness.ts', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitGone = async (pid: number): Promise<boolean> => {
  const end = Date.now() + 10_000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
};

/** A test process that starts a member, reports it, then dies the way `how` says. */
const runChild = (how: 'exit' | 'hang') =>
  new Promise<{ child: ReturnType<typeof spawn>; etcdPid: number; dir: string }>((resolve, reject) => {
    const script = `
      const { startEtcd } = await import(${JSON.stringify(harness)});
      const c = await startEtcd();
      console.log(JSON.stringify({ etcdPid: c.members[0].proc.pid, dir: c.members[0].dataDir }));
      ${how === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);'}
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...(JSON.parse(line) as { etcdPid: number; dir: string }) });
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!out.includes('{')) reject(new Error(`child exited ${code} before starting etcd`));
    });
  });

describe('etcd test harness', () => {
  it('starts a member, kills and restarts it with its data, and cleans up', async () => {
    const etcd = await startEtcd();
    const m = etcd.member(0);
    const res = await fetch(`${m.endpoint}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({ key: btoa('k'), value: btoa('v') }),
    });
    expect(res.ok).toBe(true);
    await m.kill();
    expect(m.running).toBe(false);
    m.start();
    await m.waitHealthy();
    const got = (await (
      await fetch(`${m.endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: btoa('k') }) })
    ).json()) as {
      kvs: { value: string }[];
    };
    expect(atob(got.kvs[0]?.value ?? '')).toBe('v');
    const pid = m.proc?.pid as number;
    await etcd.cleanup();
    expect(alive(pid)).toBe(false);
    expect(existsSync(m.dataDir)).toBe(false);
  });

  it('a test process that exits without cleanup leaves no etcd and no data dir', async () => {
    const { child, etcdPid, dir } = await runChild('exit');
    await new Promise((r) => child.once('exit', r));
    expect(await waitGone(etcdPid)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('a SIGKILLed test process takes its etcd with it; the next start sweeps its data dir', async () => {
    const { child, etcdPid, dir } = await runChild('hang');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await waitGone(etcdPid)).toBe(true);
    expect(existsSync(dir)).toBe(true); // no hook ran
    sweepStaleEtcdDirs('/dev/shm');
    expect(existsSync(dir)).toBe(false);
  });
});
