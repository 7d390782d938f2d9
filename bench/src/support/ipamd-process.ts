/**
 * `bin/ipamd.mjs` as a child process (what `npm run ipamd` runs): its JSON log lines are read
 * from stdout for the URL it listens at; it dies with the bench (SIGKILL on exit).
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnChild } from './child.js';

const BIN = fileURLToPath(new URL('../../../packages/ipamd/bin/ipamd.mjs', import.meta.url));

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
  let url: string | undefined;
  // BENCH_IPAMD_STDOUT=PREFIX: each replica's stdout (its logs, and what node flags such as
  // --trace-gc print) is also written to PREFIX.<id>
  const copy = process.env.BENCH_IPAMD_STDOUT
    ? createWriteStream(`${process.env.BENCH_IPAMD_STDOUT}.${id}`)
    : undefined;
  const child = spawnChild([...nodeArgs, BIN, ...argv, '--replica-id', id], env, (l) => {
    copy?.write(`${l}\n`);
    try {
      const j = JSON.parse(l) as { url?: unknown; advertised?: unknown };
      if (typeof j.advertised === 'string' && typeof j.url === 'string') url = j.url;
    } catch {
      // not a log line
    }
  });
  if (copy) void child.exited.then(() => copy.end());
  const u = await child.until(() => (findUrl ? findUrl() : url), `ipamd ${id} listening`, 120_000);
  return { id, proc: child.proc, url: u, exited: child.exited };
};
