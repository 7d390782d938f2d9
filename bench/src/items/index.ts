/**
 * The bench items, in the order they run. Adding one is one import and one entry below; each
 * item is `bench/src/items/<id>.ts` with `export default` a BenchItem (bench/src/types.ts).
 */
import type { BenchItem } from '../types.js';
import allocThroughput from './1-alloc-throughput.js';
import allocLatency from './2-alloc-latency.js';
import restartToReady from './3-restart-to-ready.js';
import memory from './4-memory.js';
import cloudCalls from './5-cloud-calls.js';
import failover from './6-failover.js';
import history from './7-history.js';
import etcdSize from './8-etcd-size.js';
import cniAdd from './9-cni-add.js';

export const items: readonly BenchItem[] = [
  allocThroughput, // 1
  allocLatency, // 2
  restartToReady, // 3
  memory, // 4
  cloudCalls, // 5
  failover, // 6
  history, // 7
  etcdSize, // 8
  cniAdd, // 9
];
