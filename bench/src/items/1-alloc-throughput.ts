/**
 * Item 1: allocation throughput from warm pools through the ipamd HTTP API (a real replica on a
 * real etcd, the simulator behind the real SDK adapter; each allocation durable in etcd before
 * it is answered) vs raw etcd put throughput at the same concurrency. Target ratio >= 1.0: group
 * commit packs concurrent allocations of different nodes into one etcd transaction.
 * Each round also runs the floor API (support/floor-api.ts: HTTP, JSON and one group-committed
 * put, nothing else) with the same client and concurrency: `details.floor` says what any durable
 * HTTP API reaches against the raw puts here, and how far ipamd's own work is from it.
 */
import { judge, median, ratioOf, round } from '../stats.js';
import { allocationRound, allocTasks, ROUND_INSTANCE, roundPools, warmUp } from '../support/alloc-rounds.js';
import { addCpu, perOperation } from '../support/cpu.js';
import { type FloorApi, floorRound, spawnFloorApi } from '../support/floor-api.js';
import { startIpamdCluster } from '../support/ipamd-cluster.js';
import { RAW_VALUE_BYTES, rawEtcd } from '../support/raw-etcd.js';
import type { BenchItem } from '../types.js';

const item: BenchItem = {
  id: '1-alloc-throughput',
  title: 'allocation throughput through the ipamd API vs raw etcd puts',
  async run(ctx) {
    const nodes = ctx.quick ? 8 : 32;
    const perNode = ctx.quick ? 10 : 20;
    const concurrency = ctx.quick ? 16 : 64;
    const repeats = ctx.quick ? 1 : 5;
    const c = await startIpamdCluster({
      nodes,
      preBind: roundPools(perNode),
      instance: ROUND_INSTANCE,
      leaderProcess: true,
      log: ctx.log,
    });
    const raw = rawEtcd(c.etcd.endpoints);
    let floor: FloorApi | undefined;
    try {
      floor = await spawnFloorApi(c.etcd.endpoints);
      const total = nodes * perNode;
      await warmUp(c, nodes, perNode, concurrency); // not counted
      await raw.closed(200, concurrency);
      await floorRound(c, floor, allocTasks('floor-warm', nodes, perNode), { concurrency });
      const api: number[] = [];
      const base: number[] = [];
      const revisions: number[] = [];
      const apiCpu: Record<string, number> = {};
      const rawCpu: Record<string, number> = {};
      const floors: number[] = [];
      const floorCpu: Record<string, number> = {};
      for (let r = 0; r < repeats; r++) {
        const a = await allocationRound(c, allocTasks(`r${r}`, nodes, perNode), { concurrency }, perNode);
        const b = await raw.closed(total, concurrency);
        const f = await floorRound(c, floor, allocTasks(`f${r}`, nodes, perNode), { concurrency });
        api.push(a.throughput);
        base.push(b.throughput);
        floors.push(f.throughput);
        revisions.push(a.etcdRevisions);
        addCpu(apiCpu, a.cpuMs);
        addCpu(rawCpu, b.cpuMs);
        addCpu(floorCpu, f.cpuMs);
        ctx.log(
          `round ${r + 1}/${repeats}: ipamd ${a.throughput.toFixed(0)}/s, raw put ${b.throughput.toFixed(0)}/s, ` +
            `floor API ${f.throughput.toFixed(0)}/s`,
        );
      }
      const figure = round(median(api), 1);
      const baseline = round(median(base), 1);
      const ratio = ratioOf(figure, baseline);
      const floorFigure = round(median(floors), 1);
      return [
        {
          key: 'allocThroughput',
          title: 'allocations/s from warm pools through the API',
          figure,
          unit: 'alloc/s',
          baseline,
          baselineLabel: `raw etcd put (${RAW_VALUE_BYTES} B values), ${concurrency} concurrent`,
          ratio,
          target: 'ratio >= 1.0',
          pass: judge(ratio, '>=', 1),
          details: {
            nodes,
            allocationsPerRound: total,
            concurrency,
            repeats,
            ipamdPerRound: api.map((x) => round(x, 1)),
            rawPerRound: base.map((x) => round(x, 1)),
            etcdRevisionsPerRound: revisions,
            // both sides saturate the same cores: their throughput ratio is about the inverse ratio
            // of the CPU all processes spend per operation (leader, follower, etcd, load generator)
            cpuMsPerAllocation: perOperation(apiCpu, total * repeats),
            cpuMsPerRawPut: perOperation(rawCpu, total * repeats),
            // the thinnest durable HTTP API (support/floor-api.ts), same client, same concurrency
            floor: {
              perSecond: floorFigure,
              perRound: floors.map((x) => round(x, 1)),
              ratioToRaw: ratioOf(floorFigure, baseline),
              ipamdToFloor: ratioOf(figure, floorFigure),
              cpuMsPerRequest: perOperation(floorCpu, total * repeats),
            },
            note: 'appends of one node stream are serial (one per transaction); throughput scales with the nodes active at once',
          },
        },
      ];
    } finally {
      raw.close();
      await floor?.stop();
      await c.stop();
    }
  },
};
export default item;
