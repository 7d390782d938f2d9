/**
 * Item 6: leader failover. Three `bin/ipamd.mjs` processes share one cluster (set up and warmed
 * by an in-process replica that then resigns). The leader process is SIGKILLed; the figure is
 * the time from the kill to the first allocation answered 200 (the client retries every 20 ms
 * on the survivors; followers forward to the leader, so no answer is possible before a new
 * leader is elected). Baseline: the election lease TTL; target <= 2x TTL.
 */
import { createEtcdClient, LeaderElection } from '@eni-ipam/store';
import { median, round } from '../stats.js';
import { nodeName, startIpamdCluster } from '../support/ipamd-cluster.js';
import { type IpamdProcess, spawnIpamd } from '../support/ipamd-process.js';
import { sleep, waitUntil } from '../support/wait.js';
import type { BenchItem } from '../types.js';

/**
 * The election TTL of `bin/ipamd.mjs`: startReplica's default (ReplicaOptions.electionTtlSeconds);
 * the process has no flag for it.
 */
const LEASE_TTL_SECONDS = 5;

const item: BenchItem = {
  id: '6-failover',
  title: 'leader failover: SIGKILL of the leader process to the first allocation on the new leader',
  async run(ctx) {
    const kills = ctx.quick ? 1 : 3;
    const c = await startIpamdCluster({ nodes: 1, preBind: { min: kills + 2, max: kills + 4 }, log: ctx.log });
    const procs: IpamdProcess[] = [];
    const client = createEtcdClient({ endpoints: c.etcd.endpoints });
    const observer = new LeaderElection({ client, prefix: c.prefix, candidate: 'bench-observer' });
    let spawned = 0;
    const spawnOne = async () => {
      const p = await spawnIpamd(`ipamd-${spawned++}`, c.ipamdArgv, c.ipamdEnv);
      procs.push(p);
      await waitUntil(async () => (await fetch(`${p.url}/readyz`).catch(() => undefined))?.ok, {
        timeoutMs: 120_000,
        what: `${p.id} ready`,
      });
      return p;
    };
    try {
      await c.replica.stop(); // resigns: one of the processes takes over at once
      for (let i = 0; i < 3; i++) await spawnOne();
      const node = nodeName(0);
      const times: number[] = [];
      for (let k = 0; k < kills; k++) {
        const leader = await waitUntil(
          async () => {
            const l = await observer.leader();
            return l && procs.find((p) => p.url === l.candidate && p.proc.exitCode === null);
          },
          { timeoutMs: 60_000, what: 'a leader among the processes' },
        );
        // a first allocation through the leader: everything is warm and working before the kill
        const warm = await c.allocateVia(leader.url, node, `before-kill-${k}`);
        if (warm.status !== 200) throw new Error(`allocation before the kill: ${warm.status} ${warm.code}`);
        const survivors = procs.filter((p) => p !== leader && p.proc.exitCode === null);
        const t0 = performance.now();
        leader.proc.kill('SIGKILL');
        let attempts = 0;
        for (;;) {
          const via = survivors[attempts++ % survivors.length] as IpamdProcess;
          const a = await c.allocateVia(via.url, node, `after-kill-${k}`).catch(() => undefined);
          if (a?.status === 200) break;
          if (performance.now() - t0 > 120_000) throw new Error('no allocation within 120 s of the kill');
          await sleep(20);
        }
        const ms = performance.now() - t0;
        times.push(ms);
        ctx.log(`kill ${k + 1}/${kills}: first allocation ${ms.toFixed(0)} ms after SIGKILL (${attempts} attempts)`);
        await leader.exited;
        procs.splice(procs.indexOf(leader), 1);
        if (k + 1 < kills) await spawnOne(); // back to three replicas
      }
      const figure = round(median(times) / 1000, 3);
      const ratio = round(figure / LEASE_TTL_SECONDS, 3);
      return [
        {
          key: 'failoverSeconds',
          title: 'SIGKILL of the leader to the first allocation on the new leader (median)',
          figure,
          unit: 's',
          baseline: LEASE_TTL_SECONDS,
          baselineLabel: 'election lease TTL',
          ratio,
          target: '<= 2x TTL',
          pass: ratio <= 2,
          details: { kills, replicas: 3, perKillMs: times.map((t) => Math.round(t)), retryEveryMs: 20 },
        },
      ];
    } finally {
      for (const p of procs) p.proc.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      client.close();
      await c.stop();
    }
  },
};
export default item;
