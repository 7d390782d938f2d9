/**
 * The VPC simulator as a child process (`bin/vpc-sim.mjs`, what `npm run vpc-sim` runs), so the
 * cloud's work (signature checks, state, answers) does not run in the load generator's process:
 * there it delayed the client's timers and sockets whenever ipamd refilled a pool, which the raw
 * rounds never paid. Dies with the bench (SIGKILL on exit).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Seed } from '@eni-ipam/cloud';
import { TEST_CREDENTIALS } from '@eni-ipam/cloud/testing';
import { spawnChild } from './child.js';

const BIN = fileURLToPath(new URL('../../../packages/cloud/bin/vpc-sim.mjs', import.meta.url));

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
  let url: string | undefined;
  const child = spawnChild(
    [BIN, ...argv],
    {},
    (l) => {
      const m = /^vpc-sim listening on (http:\/\/\S+)/.exec(l);
      if (m) url = (m[1] as string).replace(/\/$/, '');
    },
    'inherit',
  );
  let u: string;
  try {
    u = await child.until(() => url, 'vpc-sim listening', 60_000);
  } finally {
    rmSync(seedFile, { force: true }); // read at start-up
  }
  return {
    url: u,
    port: Number(new URL(u).port),
    stop: async () => {
      child.proc.kill('SIGTERM'); // a no-op once it has exited
      await child.exited;
    },
  };
};
