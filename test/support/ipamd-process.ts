/**
 * `bin/ipamd.mjs` as a child process against a test etcd and the simulator: its JSON log lines
 * collected (stdout and stderr), helpers to wait for its URL and readiness. Shared by the e2e
 * tests that run ipamd as operators do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_CREDENTIALS, TEST_REGION } from '@eni-ipam/cloud/testing';
import { waitFor } from './wait.js';

export const IPAMD_BIN = fileURLToPath(new URL('../../packages/ipamd/bin/ipamd.mjs', import.meta.url));

export interface SpawnIpamdOptions {
  replicaId: string;
  etcdEndpoints: readonly string[];
  simPort: number;
  clusterId?: string;
  /** Default: a fresh random prefix. */
  prefix?: string;
  /** More flags. */
  args?: readonly string[];
  /** Default: a random ENI_IPAM_AUTH_SECRET. */
  authSecret?: string;
  env?: Record<string, string>;
}

export interface SpawnedIpamd {
  proc: ChildProcess;
  prefix: string;
  /** Parsed JSON log lines, in order. */
  lines: Record<string, unknown>[];
  /** Every output line as text (JSON or not). */
  text: string[];
  exited: Promise<number | null>;
  /** The URL it listens on, once it says so. */
  url(timeoutMs?: number): Promise<string>;
  /** Resolves once `/readyz` says ok. */
  ready(timeoutMs?: number): Promise<string>;
}

export const spawnIpamd = (o: SpawnIpamdOptions): SpawnedIpamd => {
  const prefix = o.prefix ?? `/eni-ipam/t-${randomBytes(4).toString('hex')}`;
  const proc = spawn(
    process.execPath,
    [
      IPAMD_BIN,
      ...['--clusterid', o.clusterId ?? 'cls-test', '--region', TEST_REGION, '--replica-id', o.replicaId],
      ...['--listen', '127.0.0.1:0', '--etcd-endpoints', o.etcdEndpoints.join(','), '--etcd-prefix', prefix],
      ...['--cloud-endpoint', `http://127.0.0.1:${o.simPort}`],
      ...(o.args ?? []),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ENI_IPAM_AUTH_SECRET: o.authSecret ?? randomBytes(24).toString('hex'),
        TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  for (const s of [proc.stdout, proc.stderr]) {
    createInterface({ input: s as NodeJS.ReadableStream }).on('line', (l) => {
      text.push(l);
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line (a stack trace of a crash, say): kept in `text`
      }
    });
  }
  const url = (timeoutMs = 60_000) =>
    waitFor(() => lines.find((l) => typeof l.advertised === 'string')?.url as string | undefined, {
      timeoutMs,
      what: `ipamd ${o.replicaId} listening`,
    });
  const ready = async (timeoutMs = 60_000) => {
    const u = await url(timeoutMs);
    await waitFor(async () => ((await (await fetch(`${u}/readyz`)).json()) as { ok: boolean }).ok, {
      timeoutMs,
      what: `ipamd ${o.replicaId} ready`,
    });
    return u;
  };
  return { proc, prefix, lines, text, exited, url, ready };
};
