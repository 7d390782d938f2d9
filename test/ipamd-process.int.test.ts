/**
 * `bin/ipamd.mjs` as its own process against real etcd and the VPC simulator: it serves
 * `/readyz`, takes the leader key, and on SIGTERM resigns (the key is gone at once, not after
 * the lease TTL) and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestSimulator, TEST_CREDENTIALS, TEST_REGION } from '@eni-ipam/cloud/testing';
import { createEtcdClient, LeaderElection } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from './support/index.js';

const bin = fileURLToPath(new URL('../packages/ipamd/bin/ipamd.mjs', import.meta.url));
let etcd: EtcdCluster;
let sim: Awaited<ReturnType<typeof startTestSimulator>>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  etcd = await startEtcd();
  sim = await startTestSimulator();
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.stop();
  await etcd?.cleanup();
});

it('serves, leads, and on SIGTERM resigns and exits 0', async () => {
  const prefix = `/eni-ipam/proc-${randomBytes(4).toString('hex')}`;
  const proc = spawn(
    process.execPath,
    [
      bin,
      ...['--clusterid', 'cls-test', '--region', TEST_REGION, '--replica-id', 'proc-a', '--listen', '127.0.0.1:0'],
      ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix],
      ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`],
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ENI_IPAM_AUTH_SECRET: randomBytes(24).toString('hex'),
        TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child = proc;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  const url = await waitFor(() => lines.find((l) => typeof l.advertised === 'string')?.url as string | undefined, {
    timeoutMs: 60_000,
    what: 'ipamd listening',
  });
  await waitFor(async () => ((await (await fetch(`${url}/readyz`)).json()) as { ok: boolean }).ok, {
    what: 'ready',
  });
  const client = createEtcdClient({ endpoints: etcd.endpoints });
  try {
    const observer = new LeaderElection({ client, prefix, candidate: 'observer' });
    const leader = await waitFor(() => observer.leader(), { what: 'a leader key' });
    expect(leader.candidate).toBe(url);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    // resigned: the key was deleted on the way out (its lease would otherwise live 5 s more)
    expect(await observer.leader()).toBeUndefined();
    expect(lines.some((l) => l.msg === 'replica stopped' && l.graceful === true)).toBe(true);
  } finally {
    client.close();
  }
});
