/**
 * The fake apiserver as its own process (what the demo starts): it writes a kubeconfig that the
 * real client loads from the file, serves it, and exits cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, expect, it } from 'vitest';
import { makeNode } from './support/index.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const main = fileURLToPath(new URL('./support/fake-apiserver/main.ts', import.meta.url));
let child: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('runs standalone: prints its url, writes a kubeconfig the real client loads, stops on SIGTERM', async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubefake-'));
  const kubeconfig = join(dir, 'kubeconfig.json');
  const proc = spawn(process.execPath, ['--import', 'tsx', main, '--kubeconfig', kubeconfig, '--token', 't0k'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`fake apiserver exited early with ${code}`)));
  });
  const started = JSON.parse(firstLine) as { url: string; kubeconfig: string };
  expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(started.kubeconfig).toBe(kubeconfig);

  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNode({ body: makeNode('standalone', { zone: 'ap-shanghai-2' }) });
  const list = await core.listNode();
  expect(list.items.map((n) => n.spec?.providerID)).toEqual([
    expect.stringMatching(/^qcloud:\/\/\/ap-shanghai-2\/ins-[a-z0-9]{8}$/),
  ]);

  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
});
