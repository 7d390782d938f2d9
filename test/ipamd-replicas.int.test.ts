/**
 * Two ipamd replicas (the composition root, `startReplica`, in process) on real etcd and the VPC
 * simulator through the real SDK adapter: the cluster is configured and a node registered on the
 * leader, the pool fills, pods are allocated over HTTP with the node's token (one through the
 * follower, which forwards it), the leader dies without resigning, the follower takes over,
 * allocations continue, and every acknowledged allocation is still there with the invariants kept.
 */
import { randomBytes } from 'node:crypto';
import { createCloudLogger } from '@eni-ipam/cloud';
import { startTestSimulator, TEST_CREDENTIALS, TEST_REGION } from '@eni-ipam/cloud/testing';
import { type api, checkInvariants } from '@eni-ipam/core';
import { createLogger, loadConfig, loadSecrets, nodeToken, type Replica, startReplica } from '@eni-ipam/ipamd';
import { setUpCluster, testConfig } from '@eni-ipam/ipamd/testing';
import { type EtcdCluster, startEtcd } from '@eni-ipam/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/index.js';

const SECRET = `replicas-secret-${randomBytes(16).toString('hex')}`;
const NODE = 'node-0';
const auth = { authorization: `Bearer ${nodeToken(SECRET, NODE)}` };

describe('ipamd replicas: forwarding and failover', () => {
  let etcd: EtcdCluster;
  let sim: Awaited<ReturnType<typeof startTestSimulator>>;
  const replicas: Replica[] = [];
  const logs = new Map<string, string[]>();
  const prefix = `/eni-ipam/replicas-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    etcd = await startEtcd();
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    for (const r of replicas.reverse()) await r.stop().catch(() => undefined);
    await sim?.stop();
    await etcd?.cleanup();
  });

  const start = async (id: string): Promise<Replica> => {
    const loaded = loadConfig({
      argv: [
        ...['--clusterid', 'cls-test', '--region', TEST_REGION, '--replica-id', id, '--listen', '127.0.0.1:0'],
        ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', prefix],
        ...['--cloud-endpoint', `http://127.0.0.1:${sim.port}`],
      ],
      env: {
        ENI_IPAM_AUTH_SECRET: SECRET,
        TENCENTCLOUD_SECRET_ID: TEST_CREDENTIALS.secretId,
        TENCENTCLOUD_SECRET_KEY: TEST_CREDENTIALS.secretKey,
      },
      hostname: 'test',
    });
    if (loaded.kind !== 'config') throw new Error('expected a configuration');
    const replica = await startReplica(loaded.config, await loadSecrets(loaded.config), {
      logger: createLogger({
        level: 'info',
        replicaId: id,
        destination: {
          write: (line: string) => {
            logs.set(id, [...(logs.get(id) ?? []), line]);
            if (process.env.DEBUG_IPAMD) process.stderr.write(line);
          },
        },
      }),
      electionTtlSeconds: 2,
      reconcileEveryMs: 200,
      vpc: {
        requestTimeoutMs: 5_000,
        taskPollIntervalMs: 5,
        retry: { maxAttempts: 12, baseDelayMs: 2, maxDelayMs: 40 },
        logger: createCloudLogger({ level: 'silent' }),
      },
      core: { executor: { retryAfterMs: 100 } },
    });
    replicas.push(replica);
    return replica;
  };

  /** POSTs an allocation until it is answered 200; PoolExhausted and NotLeader (503) are retried. */
  const allocate = async (via: Replica, i: number): Promise<api.Allocation & { containerId: string }> => {
    const body = {
      pod: { namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` },
      containerId: `ctr-${i}`,
      mode: 'shared',
    };
    return waitFor(
      async () => {
        const res = await fetch(`${via.url}/v1/nodes/${NODE}/allocations`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as api.Allocation & { code?: string };
        if (res.status === 200) return { ...json, containerId: body.containerId };
        if (res.status !== 503) throw new Error(`allocation ${i}: ${res.status} ${JSON.stringify(json)}`);
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: `allocation of pod-${i}` },
    );
  };

  const bound = (r: Replica) =>
    Object.values(r.core.host.node(NODE).enis)
      .flatMap((e) => Object.values(e.ips))
      .filter((ip) => ip.status === 'bound').length;

  it('forwards writes from the follower, fails over when the leader dies, and keeps every acknowledged allocation', async () => {
    const a = await start('ipamd-a');
    await waitFor(() => a.leading(), { what: 'ipamd-a elected' });
    const b = await start('ipamd-b');
    expect(b.leading()).toBe(false);
    expect(await (await fetch(`${b.url}/readyz`)).json()).toEqual({ ok: true });

    await setUpCluster(a.core, a.vpc, 1, testConfig({ preBind: { min: 3, max: 5 }, releaseIntervalMs: 1000 }));
    await waitFor(() => bound(a) >= 3, { timeoutMs: 60_000, what: 'the warm pool filled' });

    const acked: (api.Allocation & { containerId: string })[] = [];
    for (let i = 0; i < 4; i++) acked.push(await allocate(a, i));
    // the follower forwards to the leader (it learns the leader's URL from the election key)
    await waitFor(() => b.core.host.ready, { what: 'ipamd-b caught up' });
    acked.push(await allocate(b, 4));
    expect(b.leading()).toBe(false);
    expect(logs.get('ipamd-b')?.some((l) => l.includes('write forwarded to the leader'))).toBe(true);
    expect(new Set(acked.map((x) => x.ip)).size).toBe(5);
    // the follower's projection follows the log: it sees the forwarded write too
    await waitFor(() => b.core.host.node(NODE).version === a.core.host.node(NODE).version, {
      what: 'ipamd-b following',
    });

    // kill -9: the leader drops its etcd connection without resigning; its lease expires
    await a.crash();
    await waitFor(() => b.leading(), { timeoutMs: 60_000, what: 'ipamd-b elected after the crash' });

    for (let i = 5; i < 8; i++) acked.push(await allocate(b, i));
    // a repeated ADD after the failover returns the first allocation
    expect(await allocate(b, 0)).toEqual(acked[0]);
    expect(new Set(acked.map((x) => x.ip)).size).toBe(8);

    const res = await fetch(`${b.url}/v1/nodes/${NODE}/state`, { headers: auth });
    const state = (await res.json()) as api.NodeState;
    for (const x of acked) {
      expect(state.allocations.find((p) => p.containerId === x.containerId)).toMatchObject({
        ip: x.ip,
        eniId: x.eniId,
      });
    }
    await waitFor(() => bound(b) - 8 >= 3, { timeoutMs: 60_000, what: 'the pool refilled on the new leader' });

    // another node's agent can neither allocate, release, read the state or feed of, nor ack for node-0
    const other = { authorization: `Bearer ${nodeToken(SECRET, 'node-1')}` };
    const json = { ...other, 'content-type': 'application/json' };
    const body = JSON.stringify({
      pod: { namespace: 'd', name: 'x', uid: 'u-x' },
      containerId: 'x-cross',
      mode: 'shared',
    });
    for (const [method, path, init] of [
      ['POST', 'allocations', { headers: json, body }],
      ['DELETE', 'allocations/ctr-0', { headers: other }],
      ['GET', 'state', { headers: other }],
      ['GET', 'feed?from=0', { headers: other }],
      ['POST', 'acks', { headers: json, body: JSON.stringify({ revision: 1 }) }],
    ] as const) {
      const r = await fetch(`${b.url}/v1/nodes/${NODE}/${path}`, { method, ...init });
      expect([method, path, r.status]).toEqual([method, path, 403]);
    }
    expect(b.core.host.node(NODE).allocations['ctr-0']).toBeDefined();
    expect(b.core.host.node(NODE).allocations['x-cross']).toBeUndefined();

    // releases on the new leader; the periodic tick slow-releases the idle surplus down to max
    for (let i = 0; i < 5; i++) {
      const del = await fetch(`${b.url}/v1/nodes/${NODE}/allocations/ctr-${i}`, { method: 'DELETE', headers: auth });
      expect(del.status).toBe(204);
    }
    await waitFor(() => bound(b) === 3 + 5, { timeoutMs: 60_000, what: 'slow release down to 3 pods + max 5' });
    const p = b.core.host.projection;
    expect(
      checkInvariants({
        nodes: Object.values(p.nodes),
        subnets: Object.values(p.subnets),
        ...(p.cluster.config ? { config: p.cluster.config } : {}),
      }),
    ).toEqual([]);
  });
});
