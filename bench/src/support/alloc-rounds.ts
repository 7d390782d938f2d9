/**
 * Rounds of allocations through the ipamd HTTP API on warm pools, shared by items 1 and 2: tasks
 * interleaved across nodes (consecutive requests go to different nodes, as kubelets on many
 * nodes would send them), every answer checked, every allocation checked against the log-fed
 * projection (`IpamdCluster.observer`), then everything released and the pools left warm again.
 */
import { type CpuSample, cpuSample, cpuSpent } from './cpu.js';
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

const releaseOrThrow = (c: IpamdCluster) => async (t: AllocTask) => {
  const s = await c.release(t.node, t.containerId);
  if (s !== 204 && s !== 200) throw new Error(`release ${t.containerId}: ${s}`);
};

/** Allocates `tasks` (`perNode` per node, pools of `roundPools`) with a closed loop or an open loop at `rate`, then checks and releases them. */
export const allocationRound = async (
  c: IpamdCluster,
  tasks: readonly AllocTask[],
  load: { concurrency: number } | { rate: number },
  perNode: number,
): Promise<LoadOutcome & { etcdRevisions: number; cpuMs: Record<string, number> }> => {
  const run = allocateOrThrow(c);
  // etcd's revision, not the follower's: the raw baseline's puts between two rounds move etcd's
  // revision too, and the follower's is that of the last event it applied, before them
  const rev0 = await c.etcdRevision();
  const cpu0: CpuSample = cpuSample();
  const out = 'rate' in load ? await openLoop(tasks, load.rate, run) : await closedLoop(tasks, load.concurrency, run);
  // CPU of every process of the bench while the allocations ran (the checks and releases below are not timed)
  const cpuMs = cpuSpent(cpu0, cpuSample());
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
  await closedLoop(tasks, 32, releaseOrThrow(c));
  // every release applied (pools of `roundPools` are back at two rounds of free IPs): the next
  // round's revision count starts from here
  await waitWarm(c.observer, nodes, 2 * perNode, 'pools warm again');
  return { ...out, etcdRevisions, cpuMs };
};

/**
 * The warm pools of rounds of `perNode` allocations per node: `min` one round, `max` two. After
 * `warmUp`, a pool holds two rounds of free IPs; a round takes one and leaves `min` (no bind), and
 * its release brings the pool back to `max` (no unbind). The timed rounds are then served from the
 * warm pools alone, as item 1 says, with no refill (cloud calls, bind events) in between; with
 * `min` = `max` = a round, every round drained the pools to 0 and the leader refilled and trimmed
 * them while the next rounds ran (item 5 measures the cloud side of churn).
 */
export const roundPools = (perNode: number) => ({ min: perNode, max: 2 * perNode });

/** An instance type with room for those pools: 4 ENIs of 20 IPs (a mid-size instance). */
export const ROUND_INSTANCE = { maxEnis: 4, ipsPerEni: 20 };

/**
 * An untimed round (JIT, connections) whose pods are held until the pools have refilled to `min`
 * on top of them (bound = two rounds), then released: pools at two rounds of free IPs.
 */
export const warmUp = async (c: IpamdCluster, nodes: number, perNode: number, concurrency: number): Promise<void> => {
  const tasks = allocTasks('warm', nodes, perNode);
  const names = [...new Set(tasks.map((t) => t.node))];
  await closedLoop(tasks, concurrency, allocateOrThrow(c));
  await waitWarm(c.observer, names, perNode, 'pools refilled under the warm-up pods');
  await closedLoop(tasks, 32, releaseOrThrow(c));
  await waitWarm(c.observer, names, 2 * perNode, 'pools at two rounds of free IPs');
};
