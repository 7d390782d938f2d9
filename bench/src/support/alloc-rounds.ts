/**
 * Rounds of allocations through the ipamd HTTP API on warm pools, shared by items 1 and 2: tasks
 * interleaved across nodes (consecutive requests go to different nodes, as kubelets on many
 * nodes would send them), every answer checked, every allocation checked against the log-fed
 * projection (`IpamdCluster.observer`), then everything released and the pools left warm again.
 */
import type { IpamdCluster } from './ipamd-cluster.js';
import { nodeName } from './ipamd-cluster.js';
import { closedLoop, type LoadOutcome, openLoop } from './load.js';
import { waitWarm } from './observer.js';
import { waitUntil } from './wait.js';

export interface AllocTask {
  node: string;
  containerId: string;
}

export const allocTasks = (round: string, nodes: number, perNode: number): AllocTask[] => {
  const tasks: AllocTask[] = [];
  for (let k = 0; k < perNode; k++)
    for (let i = 0; i < nodes; i++) tasks.push({ node: nodeName(i), containerId: `${round}-${i}-${k}` });
  return tasks;
};

const allocateOrThrow = (c: IpamdCluster) => async (t: AllocTask) => {
  const a = await c.allocate(t.node, t.containerId);
  if (a.status !== 200) throw new Error(`allocation ${t.containerId}: ${a.status} ${a.code ?? ''} ${a.message ?? ''}`);
};

/** Allocates `tasks` with a closed loop or an open loop at `rate`, then checks and releases them. */
export const allocationRound = async (
  c: IpamdCluster,
  tasks: readonly AllocTask[],
  load: { concurrency: number } | { rate: number },
  perNode: number,
): Promise<LoadOutcome & { etcdRevisions: number }> => {
  const run = allocateOrThrow(c);
  const rev0 = (await c.observer.observe([])).revision;
  const out = 'rate' in load ? await openLoop(tasks, load.rate, run) : await closedLoop(tasks, load.concurrency, run);
  // durable: the answer came after the append; a follower's projection (fed by the etcd watch) shows each one
  const nodes = [...new Set(tasks.map((t) => t.node))];
  const seen = await waitUntil(
    async () => {
      const o = await c.observer.observe(nodes);
      return tasks.every((t) => o.allocated.get(t.node)?.has(t.containerId)) ? o : undefined;
    },
    { timeoutMs: 60_000, what: 'every acknowledged allocation in the log' },
  );
  // each etcd transaction is one revision: fewer revisions than allocations = group commit at work
  const etcdRevisions = seen.revision - rev0;
  await closedLoop(tasks, 32, async (t) => {
    const s = await c.release(t.node, t.containerId);
    if (s !== 204 && s !== 200) throw new Error(`release ${t.containerId}: ${s}`);
  });
  await waitWarm(c.observer, nodes, perNode, 'pools warm again');
  return { ...out, etcdRevisions };
};
