/**
 * Item 5: cloud calls per pod in steady churn (pods started and stopped across many nodes with
 * warm pools), counted by the VPC simulator (`/_sim/stats`), vs the naive one call per pod;
 * target <= 0.05 calls per pod. Then a burst of pods beyond the warm pools with the simulator's
 * default rate limits and the adapter's default rate budget: no throttling error may reach a pod
 * (PoolExhausted, "try again", is the expected answer while the pool grows; the client retries
 * it as the CNI plugin and kubelet do).
 */
import { round } from '../stats.js';
import { type IpamdCluster, nodeName, startIpamdCluster } from '../support/ipamd-cluster.js';
import { sleep, waitUntil } from '../support/wait.js';
import type { BenchItem } from '../types.js';

type Stats = Record<string, Record<string, number>>;
const totalCalls = (s: Stats) =>
  Object.values(s).reduce((n, outcomes) => n + Object.values(outcomes).reduce((a, b) => a + b, 0), 0);
const diff = (after: Stats, before: Stats): Stats =>
  Object.fromEntries(
    Object.entries(after).map(([action, outcomes]) => [
      action,
      Object.fromEntries(Object.entries(outcomes).map(([o, n]) => [o, n - (before[action]?.[o] ?? 0)])),
    ]),
  );
const throttled = (s: Stats) =>
  Object.values(s).reduce(
    (n, outcomes) =>
      n + Object.entries(outcomes).reduce((a, [o, k]) => a + (/LimitExceeded|Throttl/i.test(o) ? k : 0), 0),
    0,
  );

/** How long a pod keeps retrying "try again later" before the item fails (kubelet would go on). */
const POD_DEADLINE_MS = 300_000;

/** Codes that mean the cloud's rate limits reached the pod (the adapter's budget should absorb them). */
const THROTTLING = /LimitExceeded|Throttl|RateLimit|CloudRetryable/i;

/** Answers other than 200, by code. */
class Answers {
  readonly byCode: Record<string, number> = {};
  note(code: string) {
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }
  throttling(): number {
    return Object.entries(this.byCode).reduce((n, [c, k]) => n + (THROTTLING.test(c) ? k : 0), 0);
  }
}

/**
 * Allocates until answered 200. Every 503 is "try again later" and is retried after `retryMs`,
 * as the node agent does (PoolExhausted while the pool grows; NotLeader if the lease lapsed on
 * an overloaded machine); each is counted by code. Anything else fails the item.
 */
const startPod = async (c: IpamdCluster, node: string, containerId: string, answers: Answers, retryMs: number) => {
  const deadline = performance.now() + POD_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    const a = await c.allocate(node, containerId);
    if (a.status === 200) return;
    answers.note(a.code ?? `HTTP${a.status}`);
    if (a.status !== 503) throw new Error(`pod ${containerId}: ${a.status} ${a.code} ${a.message}`);
    if (performance.now() > deadline)
      throw new Error(
        `pod ${containerId}: no IP within ${POD_DEADLINE_MS / 1000} s (${attempt} attempts, last ${a.code})`,
      );
    await sleep(retryMs);
  }
};

const stopPod = async (c: IpamdCluster, node: string, containerId: string) => {
  const s = await c.release(node, containerId);
  if (s !== 204 && s !== 200) throw new Error(`stop ${containerId}: ${s}`);
};

const item: BenchItem = {
  id: '5-cloud-calls',
  title: 'cloud calls per pod in steady churn; throttling under a burst',
  async run(ctx) {
    const nodes = ctx.quick ? 20 : 100;
    const churnPods = ctx.quick ? 200 : 1000;
    const burstPods = ctx.quick ? 300 : 2000;
    const workers = 16;
    const maxLivePerNode = 3;
    const preBind = { min: 5, max: 10 };
    const c = await startIpamdCluster({ nodes, preBind, simRateLimits: 'default', log: ctx.log });
    try {
      // steady churn: each worker owns some nodes; every new pod stops the node's oldest (a
      // rolling deployment's pattern); at the end all pods stop
      const answers = new Answers();
      const owned = Array.from({ length: workers }, (_, w) =>
        Array.from({ length: nodes }, (_, i) => i).filter((i) => i % workers === w),
      );
      const live = new Map<number, string[]>(Array.from({ length: nodes }, (_, i) => [i, []]));
      // one pod more than steady state (a churn step starts the new pod before it stops the old
      // one); once the reconciler has topped every pool up to those pods + min, one pod per node
      // stops, and the pools are where steady churn keeps them: no cloud call is due any more
      await Promise.all(
        owned.map(async (mine) => {
          for (let k = 0; k <= maxLivePerNode; k++)
            for (const i of mine) {
              const id = `pre-${i}-${k}`;
              await startPod(c, nodeName(i), id, answers, 100);
              live.get(i)?.push(id);
            }
        }),
      );
      await waitUntil(
        () => Array.from({ length: nodes }, (_, i) => c.freeIps(nodeName(i)) >= preBind.min).every(Boolean),
        { timeoutMs: 300_000, what: 'pools topped up' },
      );
      for (let i = 0; i < nodes; i++) await stopPod(c, nodeName(i), live.get(i)?.shift() as string);
      await sleep(1_000);
      const before = await c.simStats();
      let started = 0;
      let stopped = 0;
      await Promise.all(
        owned.map(async (mine) => {
          for (let k = 0; started < churnPods; k++) {
            const i = mine[k % mine.length] as number;
            const pods = live.get(i) as string[];
            const id = `churn-${i}-${k}`;
            started++;
            await startPod(c, nodeName(i), id, answers, 100);
            pods.push(id);
            await stopPod(c, nodeName(i), pods.shift() as string);
            stopped++;
          }
          for (const i of mine)
            for (const id of live.get(i) ?? []) {
              await stopPod(c, nodeName(i), id);
              stopped++;
            }
        }),
      );
      await sleep(2_000); // let the reconciler act on the last changes
      const churnCalls = diff(await c.simStats(), before);
      const calls = totalCalls(churnCalls);
      const perPod = round(calls / started, 4);
      ctx.log(`churn: ${started} starts, ${stopped} stops, ${calls} cloud calls: ${JSON.stringify(churnCalls)}`);

      // burst: `burstPods` pods at once across all nodes, well beyond the warm pools
      const burstAnswers = new Answers();
      const beforeBurst = await c.simStats();
      const perNode = Math.ceil(burstPods / nodes);
      const t0 = performance.now();
      const tasks = Array.from({ length: burstPods }, (_, k) => ({ node: nodeName(k % nodes), id: `burst-${k}` }));
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          for (let k = next++; k < tasks.length; k = next++) {
            const t = tasks[k] as { node: string; id: string };
            await startPod(c, t.node, t.id, burstAnswers, 200);
          }
        }),
      );
      const burstSeconds = (performance.now() - t0) / 1000;
      const burstCalls = diff(await c.simStats(), beforeBurst);
      const throttlingToPods = burstAnswers.throttling();
      ctx.log(
        `burst: ${burstPods} pods in ${burstSeconds.toFixed(1)} s; answers ${JSON.stringify(burstAnswers.byCode)}`,
      );
      return [
        {
          key: 'cloudCallsPerPod',
          title: 'cloud calls per pod start+stop in steady churn (warm pools)',
          figure: perPod,
          unit: 'calls/pod',
          baseline: 1,
          baselineLabel: 'one cloud call per pod (assign on start, or unassign on stop)',
          ratio: perPod,
          target: '<= 0.05 calls per pod',
          pass: perPod <= 0.05,
          details: {
            nodes,
            podStarts: started,
            podStops: stopped,
            cloudCalls: calls,
            callsByAction: churnCalls,
            podsLivePerNode: maxLivePerNode,
            answersOtherThan200: answers.byCode,
            preBind,
          },
        },
        {
          key: 'burstThrottlingToPods',
          title: `throttling errors surfaced to pods in a burst of ${burstPods} pods`,
          figure: throttlingToPods,
          unit: 'errors',
          baseline: null,
          baselineLabel: 'none (the target is zero)',
          ratio: null,
          target: '0 with the default rate budget',
          pass: throttlingToPods === 0,
          details: {
            pods: burstPods,
            podsPerNode: perNode,
            seconds: round(burstSeconds, 1),
            answersOtherThan200: burstAnswers.byCode,
            cloudCalls: totalCalls(burstCalls),
            cloudThrottledAnswers: throttled(burstCalls),
            callsByAction: burstCalls,
          },
        },
      ];
    } finally {
      await c.stop();
    }
  },
};
export default item;
