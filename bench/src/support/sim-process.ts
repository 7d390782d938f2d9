/**
 * The VPC simulator as a child process (`bin/vpc-sim.mjs`, what `npm run vpc-sim` runs), so the
 * cloud's work (signature checks, state, answers) does not run in the load generator's process:
 * there it delayed the client's timers and sockets whenever ipamd refilled a pool, which the raw
 * rounds never paid. Dies with the bench (SIGKILL on exit).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Seed } from '@eni-ipam/cloud';
import { TEST_CREDENTIALS } from '@eni-ipam/cloud/testing';
import { waitUntil } from './wait.js';

const BIN = fileURLToPath(new URL('../../../packages/cloud/bin/vpc-sim.mjs', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface SimProcess {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface SimProcessOptions {
  seed: Seed;
  /** false: no rate limits; 'default': the simulator's default limits. */
  rateLimits: false | 'default';
  /** Attach and detach task durations, ms (the test simulator's 30 by default). */
  taskMs?: number;
}

export const spawnSimulator = async (o: SimProcessOptions): Promise<SimProcess> => {
  const seedFile = join(tmpdir(), `bench-sim-seed-${process.pid}-${Date.now()}.json`);
  writeFileSync(seedFile, JSON.stringify(o.seed));
  const task = String(o.taskMs ?? 30);
  const argv = [
    ...['--seed', seedFile, '--secret-id', TEST_CREDENTIALS.secretId, '--secret-key', TEST_CREDENTIALS.secretKey],
    ...['--port', '0', '--attach-ms', task, '--detach-ms', task, '--random-seed', '1'],
    ...(o.rateLimits === false ? ['--no-rate-limit'] : []),
  ];
  const proc = spawn(process.execPath, [BIN, ...argv], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  live.add(proc);
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      live.delete(proc);
      r();
    }),
  );
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  let url: string | undefined;
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    const m = /^vpc-sim listening on (http:\/\/\S+)/.exec(l);
    if (m) url = (m[1] as string).replace(/\/$/, '');
  });
  const u = await waitUntil(
    async () => {
      if (dead) throw new Error('vpc-sim exited during start-up');
      return url;
    },
    { timeoutMs: 60_000, what: 'vpc-sim listening' },
  );
  return {
    url: u,
    port: Number(new URL(u).port),
    stop: async () => {
      if (!dead) proc.kill('SIGTERM');
      await exited;
    },
  };
};
