/**
 * `bin/ipamd.mjs` against etcd that demands TLS client certificates (a CA and certs made with
 * openssl at set-up): with `--etcd-ca-file/--etcd-cert-file/--etcd-key-file` it becomes ready and
 * leads; without the client certificate it never becomes ready and says why in its log.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSimulator } from '@eni-ipam/cloud/testing';
import { type EtcdCluster, makePki, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnIpamd, waitFor } from './support/index.js';

let etcd: EtcdCluster;
let sim: Awaited<ReturnType<typeof startTestSimulator>>;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eni-ipam-ipamd-tls-'));
  makePki(dir);
  etcd = await startEtcd({
    tls: {
      certFile: join(dir, 'server.crt'),
      keyFile: join(dir, 'server.key'),
      caFile: join(dir, 'ca.crt'),
      clientCertAuth: true,
    },
  });
  sim = await startTestSimulator();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await sim?.stop();
  await etcd?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const start = (etcdFlags: string[]) => {
  const ipamd = spawnIpamd({
    replicaId: 'tls-a',
    clusterId: 'cls-tls',
    etcdEndpoints: etcd.endpoints,
    simPort: sim.port,
    args: etcdFlags,
  });
  children.push(ipamd.proc);
  return ipamd;
};

it('with the CA and a client certificate: ready and leading', async () => {
  const ipamd = start([
    ...['--etcd-ca-file', join(dir, 'ca.crt')],
    ...['--etcd-cert-file', join(dir, 'client.crt'), '--etcd-key-file', join(dir, 'client.key')],
  ]);
  const { proc, lines } = ipamd;
  await ipamd.ready(); // over TLS
  await waitFor(() => lines.some((l) => /elected leader/.test(String(l.msg))), { timeoutMs: 30_000, what: 'leader' });
  proc.kill('SIGTERM');
});

it('without the client certificate: never ready, and the log says the etcd connection failed', async () => {
  const { proc, text } = start(['--etcd-ca-file', join(dir, 'ca.crt')]);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const outcome = await Promise.race([
    exited.then((code) => ({ exited: code })),
    waitFor(() => text.some((l) => /etcd/i.test(l) && /(fail|unavailable|certificate|handshake|error)/i.test(l)), {
      timeoutMs: 60_000,
      what: 'an etcd connection error in the log',
    }).then(() => ({ exited: undefined })),
  ]);
  if (outcome.exited !== undefined) expect(outcome.exited).not.toBe(0);
  expect(text.join('\n')).toMatch(/etcd/i);
  expect(text.some((l) => /"msg":"projections caught up"/.test(l))).toBe(false);
  proc.kill('SIGKILL');
});
