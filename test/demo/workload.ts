/**
 * The demo's timeline over `--duration` seconds: ramp up to `--pods` pods (35 %), churn
 * (Deployment pods replaced, StatefulSet pods rescheduled under the same name, exclusive pods
 * replaced), the leader replica SIGKILLed at the middle, then a quiet end until every pod runs.
 */
import type { Cluster } from './cluster.js';
import type { KubeletSim, PodKind } from './kubelet.js';
import type { DemoOptions } from './options.js';
import type { StatusBoard } from './status.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkloadResult {
  failover?: { from: string; to: string; seconds: number };
  failoverText: string;
}

/** How many pods of each kind at the peak: 10 % exclusive (at most one per node), 20 % StatefulSet. */
export const podMix = (pods: number, nodes: number): Record<PodKind, number> => {
  const edge = Math.max(1, Math.min(nodes, Math.round(pods * 0.1)));
  const db = Math.max(2, Math.round(pods * 0.2));
  return { edge, db, web: Math.max(1, pods - edge - db) };
};

export const runWorkload = async (o: {
  opts: DemoOptions;
  cluster: Cluster;
  kubelet: KubeletSim;
  board: StatusBoard;
}): Promise<WorkloadResult> => {
  const { opts, cluster, kubelet, board } = o;
  const mix = podMix(opts.pods, opts.nodes);
  const start = Date.now();
  const at = (fraction: number) => start + opts.duration * 1000 * fraction;
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    void board.tick().finally(() => {
      ticking = false;
    });
  }, 1_000);

  // ramp: the pods in an interleaved order, spread over the first 35 %
  board.phase = `ramp up to ${opts.pods} pods (web ${mix.web} shared, db ${mix.db} StatefulSet/Never, edge ${mix.edge} exclusive)`;
  const order: { kind: PodKind; name?: string }[] = [];
  for (let i = 0; order.length < mix.web + mix.db + mix.edge; i++) {
    if (i < mix.db) order.push({ kind: 'db', name: `db-${i}` });
    if (i < mix.edge) order.push({ kind: 'edge' });
    if (i < mix.web) order.push({ kind: 'web' });
  }
  const rampEnd = at(0.35);
  for (const [i, p] of order.entries()) {
    kubelet.create(p.kind, p.name);
    const due = start + ((rampEnd - start) * (i + 1)) / order.length;
    await sleep(Math.max(0, due - Date.now()));
  }

  // churn, with the leader killed at the middle
  board.phase = 'churn: pods replaced and rescheduled';
  let failover: WorkloadResult['failover'];
  let failoverText = 'the leader was not killed';
  let killed = false;
  for (let second = 0; Date.now() < at(0.85); second++) {
    const web = kubelet.pick('web');
    if (web) {
      kubelet.delete(web.name);
      kubelet.create('web');
    }
    const db = second % 3 === 0 ? kubelet.pick('db') : undefined;
    if (db) kubelet.delete(db.name, true);
    if (second % 8 === 4) {
      const edge = kubelet.pick('edge');
      if (edge) {
        kubelet.delete(edge.name);
        kubelet.create('edge', undefined, edge.node);
      }
    }
    if (!killed && Date.now() >= at(0.5)) {
      killed = true;
      const r = await killLeader(cluster, board);
      failover = r.failover;
      failoverText = r.text;
    }
    await sleep(1_000);
  }

  board.phase = 'settling: no more churn, waiting for every pod to run';
  const deadline = Date.now() + 90_000;
  while (kubelet.count(undefined, 'pending') + kubelet.count(undefined, 'deleting') > 0 && Date.now() < deadline)
    await sleep(500);
  clearInterval(timer);
  while (ticking) await sleep(50);
  board.phase = 'done';
  await board.tick();
  return failover ? { failover, failoverText } : { failoverText };
};

const killLeader = async (
  cluster: Cluster,
  board: StatusBoard,
): Promise<{ failover?: WorkloadResult['failover']; text: string }> => {
  const from = await board.leader();
  const victim = cluster.replicas.find((r) => r.spec.id === from);
  if (!victim) return { text: 'failover: no leader to kill' };
  board.say(
    `demo: SIGKILL the leader ${victim.spec.id} (pid ${victim.pid}): no resignation, its etcd lease must expire`,
  );
  board.phase = `failover: ${victim.spec.id} killed, waiting for a new leader`;
  const t = Date.now();
  await victim.kill('SIGKILL');
  for (;;) {
    const to = await board.leader();
    if (to && to !== from) {
      const seconds = (Date.now() - t) / 1000;
      const text = `failover: ${to} leads ${seconds.toFixed(1)} s after ${from} was killed`;
      board.say(`demo: ${text}`);
      board.phase = 'churn: pods replaced and rescheduled (after the failover)';
      return { failover: { from: from ?? '?', to, seconds }, text };
    }
    if (Date.now() - t > 60_000) return { text: `failover: no new leader 60 s after ${from} was killed` };
    await new Promise((r) => setTimeout(r, 100));
  }
};
