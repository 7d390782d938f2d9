/**
 * `bin/ipamd.mjs` as its own process against real etcd and the VPC simulator: it serves
 * `/readyz`, takes the leader key, and on SIGTERM resigns (the key is gone at once, not after
 * the lease TTL) and exits 0.
 */
import type { ChildProcess } from 'node:child_process';
import { startTestSimulator } from '@eni-ipam/cloud/testing';
import { createEtcdClient, LeaderElection } from '@eni-ipam/store';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnIpamd, waitFor } from './support/index.js';

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
  const ipamd = spawnIpamd({ replicaId: 'proc-a', etcdEndpoints: etcd.endpoints, simPort: sim.port });
  const { proc, prefix, lines, exited } = ipamd;
  child = proc;
  const url = await ipamd.ready();
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
