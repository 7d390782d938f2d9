/**
 * `bin/ipamd.mjs` as a child process (what `npm run ipamd` runs): its JSON log lines are read
 * from stdout for the URL it listens at; it dies with the bench (SIGKILL on exit).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const BIN = fileURLToPath(new URL('../../../packages/ipamd/bin/ipamd.mjs', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface IpamdProcess {
  id: string;
  proc: ChildProcess;
  url: string;
  exited: Promise<void>;
}

export const spawnIpamd = async (
  id: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  /** Where to learn its URL instead of its log (for a process started with a quiet `--log-level`). */
  findUrl?: () => Promise<string | undefined>,
): Promise<IpamdProcess> => {
  // BENCH_IPAMD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`): node flags for the replicas
  const nodeArgs = (process.env.BENCH_IPAMD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, BIN, ...argv, '--replica-id', id], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  live.add(proc);
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      live.delete(proc);
      r();
    }),
  );
  let url: string | undefined;
  // BENCH_IPAMD_STDOUT=PREFIX: each replica's stdout (its logs, and what node flags such as
  // --trace-gc print) is also written to PREFIX.<id>
  const copy = process.env.BENCH_IPAMD_STDOUT
    ? createWriteStream(`${process.env.BENCH_IPAMD_STDOUT}.${id}`)
    : undefined;
  if (copy) void exited.then(() => copy.end());
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    copy?.write(`${l}\n`);
    try {
      const j = JSON.parse(l) as { url?: unknown; advertised?: unknown };
      if (typeof j.advertised === 'string' && typeof j.url === 'string') url = j.url;
    } catch {
      // not a log line
    }
  });
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const u = await waitUntil(
    async () => {
      if (dead) throw new Error(`ipamd ${id} exited during start-up`);
      return findUrl ? await findUrl() : url;
    },
    { timeoutMs: 120_000, what: `ipamd ${id} listening` },
  );
  return { id, proc, url: u, exited };
};
