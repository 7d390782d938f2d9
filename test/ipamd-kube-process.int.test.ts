/**
 * `bin/ipamd.mjs --kubeconfig` as its own process against real etcd, the VPC simulator and the
 * fake apiserver: the ConfigMap configures the cluster (VPC and subnet), the flags' pool bounds
 * are in force, a Kubernetes Node is registered (instance from its providerID) and advertises its
 * extended resources, and a pod on it gets an address over the node's API.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSimulator, TEST_POD_SUBNET, TEST_VPC, TEST_ZONE } from '@eni-ipam/cloud/testing';
import type { api } from '@eni-ipam/core';
import { nodeToken } from '@eni-ipam/ipamd';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ENI_IP_RESOURCE,
  type FakeApiServer,
  makeNode,
  makePod,
  spawnIpamd,
  startFakeApiServer,
  waitFor,
} from './support/index.js';

const SECRET = randomBytes(24).toString('hex');
const NODE = 'node-kube-0';
let etcd: EtcdCluster;
let sim: Awaited<ReturnType<typeof startTestSimulator>>;
let kube: FakeApiServer;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  etcd = await startEtcd();
  sim = await startTestSimulator();
  kube = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), 'ipamd-kube-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await kube?.close();
  await sim?.stop();
  await etcd?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('registers a Kubernetes Node, publishes its resources and allocates for a pod', async () => {
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kube.kubeConfigText());
  kube.create('configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'kube-system', name: 'tke-eni-ipamd' },
    data: { TKE_ENI_IPAMD_VPC_ID: TEST_VPC, TKE_ENI_IPAMD_SUBNET_ID: TEST_POD_SUBNET },
  });
  kube.create('nodes', makeNode(NODE, { zone: TEST_ZONE, providerID: `qcloud:///${TEST_ZONE}/ins-00000000` }));
  kube.create('pods', makePod('default', 'web-a', { node: NODE }));

  const ipamd = spawnIpamd({
    replicaId: 'kube-a',
    etcdEndpoints: etcd.endpoints,
    simPort: sim.port,
    authSecret: SECRET,
    args: ['--kubeconfig', kubeconfig, '--prebind-min', '2', '--prebind-max', '3', '--release-interval', '30s'],
  });
  const { proc, lines, exited } = ipamd;
  child = proc;
  const url = await ipamd.url();
  expect(lines.some((l) => String(l.msg).startsWith('Kubernetes side on'))).toBe(true);
  const auth = { authorization: `Bearer ${nodeToken(SECRET, NODE)}` };

  // the node is registered from its Kubernetes object and its pool starts filling
  const state = await waitFor(
    async () => {
      const res = await fetch(`${url}/v1/nodes/${NODE}/state`, { headers: auth });
      if (res.status !== 200) return undefined;
      const s = (await res.json()) as api.NodeState;
      return s.enis.length > 0 ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'node registered with an ENI' },
  );
  expect(state.enis.length).toBeGreaterThan(0);

  const body = { pod: { namespace: 'default', name: 'web-a' }, containerId: 'ctr-web-a', mode: 'shared' };
  const allocation = await waitFor(
    async () => {
      const res = await fetch(`${url}/v1/nodes/${NODE}/allocations`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return res.status === 200 ? ((await res.json()) as api.Allocation) : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'an allocation for web-a' },
  );
  expect(allocation.ip).toMatch(/^10\.1\.0\./);

  // extended resources published on the Node's status
  await waitFor(
    () => {
      const n = kube.get<V1Node>('nodes', NODE);
      return Number(n.status?.allocatable?.[ENI_IP_RESOURCE] ?? 0) >= 1 ? true : undefined;
    },
    { timeoutMs: 30_000, what: 'eni-ip published on the Node' },
  );

  // every metric of METRICS.md is exported; those this run exercises have samples
  const release = await fetch(`${url}/v1/nodes/${NODE}/allocations/ctr-web-a`, { method: 'DELETE', headers: auth });
  expect(release.status).toBe(204);
  const ack = await fetch(`${url}/v1/nodes/${NODE}/acks`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ revision: state.revision }),
  });
  expect(ack.status).toBe(204);
  const documented = [
    ...readFileSync(fileURLToPath(new URL('../packages/ipamd/METRICS.md', import.meta.url)), 'utf8').matchAll(
      /^\| `(eni_ipam_[a-z_]+)`/gm,
    ),
  ].map((m) => m[1] as string);
  expect(documented.length).toBeGreaterThan(15);
  const text = await waitFor(
    async () => {
      const t = await (await fetch(`${url}/metrics`)).text();
      return /^eni_ipam_log_lag_revisions \d/m.test(t) && /^eni_ipam_config_changes_total\{/m.test(t) ? t : undefined;
    },
    { timeoutMs: 30_000, what: 'metrics recorded' },
  );
  for (const name of documented) expect(text, name).toContain(`# HELP ${name} `);
  // needs a racing writer; needs a log maintenance run (--archive-dir, --archive-interval)
  const noSampleHere = new Set(['eni_ipam_append_conflicts_total', 'eni_ipam_etcd_db_size_bytes']);
  for (const name of documented.filter((n) => !noSampleHere.has(n))) {
    expect(text, name).toMatch(new RegExp(`^${name}(_bucket|_count)?(\\{[^}]*\\})? [0-9.e+-]+$`, 'm'));
  }
  expect(text).toMatch(/^eni_ipam_pool_capacity\{node="node-kube-0",mode="shared"\} [1-9]/m);
  expect(text).toMatch(/^eni_ipam_cloud_calls_total\{action="createEni",outcome="ok"\} [1-9]/m);
  expect(text).toMatch(/^eni_ipam_events_appended_total\{stream_kind="node",type="NodeRegistered"\} 1$/m);

  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
});
