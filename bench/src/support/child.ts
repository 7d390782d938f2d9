/**
 * A child process of the bench (an ipamd replica, the VPC simulator): its stdout read line by
 * line, killed with SIGKILL if the bench exits first, and waited for until it says it is ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitUntil } from './wait.js';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
  /** Waits until `ready()` gives a value; fails if the process exits first. */
  until<T>(ready: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number): Promise<T>;
}

export const spawnChild = (
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  onLine: (line: string) => void,
  stderr: 'ignore' | 'inherit' = 'ignore',
): Child => {
  const proc = spawn(process.execPath, argv, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  live.add(proc);
  let dead = false;
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      live.delete(proc);
      dead = true;
      r();
    }),
  );
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', onLine);
  return {
    proc,
    exited,
    until: (ready, what, timeoutMs) =>
      waitUntil(
        async () => {
          if (dead) throw new Error(`${what}: the process exited during start-up`);
          return ready();
        },
        { timeoutMs, what },
      ),
  };
};
