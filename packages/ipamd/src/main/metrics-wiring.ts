import { DIRECT_ENI_RESOURCE, ENI_IP_RESOURCE, type EventStore, isIpamError, type VpcApi } from '@eni-ipam/core';
import { timeSlicer } from '@eni-ipam/store';
import type { IpamdMetrics } from '../observability/metrics.js';
import type { ProjectionHost } from '../service/projection-host.js';

const VPC_METHODS = new Set<string>([
  'createEni',
  'attachEni',
  'detachEni',
  'deleteEni',
  'assignIps',
  'unassignIps',
  'describeEnis',
  'describeSubnets',
  'describeInstanceLimits',
]);

/** The `outcome` label of a VPC call that failed: the cloud error class, else `permanent`. */
const cloudOutcome = (e: unknown): string => {
  if (isIpamError(e, 'CloudRetryable')) return 'retryable';
  if (isIpamError(e, 'CloudCapacity')) return 'capacity';
  if (isIpamError(e, 'CloudAmbiguous')) return 'ambiguous';
  if (isIpamError(e, 'CloudInvalidState')) return 'invalid_state';
  return 'permanent';
};

/** `vpc` with each port call counted and timed (`eni_ipam_cloud_calls_total`, `..._duration_seconds`). */
export const meteredVpc = <T extends VpcApi>(vpc: T, metrics: IpamdMetrics): T =>
  new Proxy(vpc, {
    get: (target, prop, receiver) => {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop !== 'string' || !VPC_METHODS.has(prop)) return v.bind(target);
      return async (...args: unknown[]) => {
        const stop = metrics.cloudCallSeconds.startTimer({ action: prop });
        try {
          const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          metrics.cloudCalls.inc({ action: prop, outcome: 'ok' });
          return r;
        } catch (e) {
          metrics.cloudCalls.inc({ action: prop, outcome: cloudOutcome(e) });
          throw e;
        } finally {
          stop();
        }
      };
    },
  });

/** `store` with appends counted by stream kind and type, and refused appends by reason. */
export const meteredStore = (store: EventStore, metrics: IpamdMetrics): EventStore =>
  new Proxy(store, {
    get: (target, prop, receiver) => {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop !== 'append') return v.bind(target);
      const append: EventStore['append'] = async (streams, options) => {
        try {
          const r = await target.append(streams, options);
          for (const s of streams) {
            const kind = s.stream.split('/')[0] ?? s.stream;
            for (const e of s.events) metrics.eventsAppended.inc({ stream_kind: kind, type: e.type });
          }
          return r;
        } catch (e) {
          if (isIpamError(e, 'StreamVersionConflict')) metrics.appendConflicts.inc({ reason: 'version' });
          else if (isIpamError(e, 'NotLeader')) metrics.appendConflicts.inc({ reason: 'fence' });
          throw e;
        }
      };
      return append;
    },
  });

/**
 * Pool gauges per node (at most `poolEveryMs` after a change of its stream) and the log lag (every `lagEveryMs`).
 * Returns the function that stops both.
 */
export const recordProjectionMetrics = (
  host: ProjectionHost,
  store: EventStore,
  metrics: IpamdMetrics,
  lagEveryMs = 5_000,
  poolEveryMs = 200,
): (() => void) => {
  const pool = (node: string) => {
    const s = host.node(node);
    if (s.status !== 'active' && s.status !== 'draining') {
      for (const mode of ['shared', 'exclusive']) {
        metrics.poolBound.remove({ node, mode });
        metrics.poolAllocated.remove({ node, mode });
        metrics.poolCapacity.remove({ node, mode });
      }
      return;
    }
    const v = host.nodePoolView(node);
    metrics.poolBound.set({ node, mode: 'shared' }, v.counts.bound);
    metrics.poolAllocated.set({ node, mode: 'shared' }, v.counts.allocated);
    metrics.poolCapacity.set({ node, mode: 'shared' }, v.resources[ENI_IP_RESOURCE].capacity);
    metrics.poolBound.set({ node, mode: 'exclusive' }, v.resources[DIRECT_ENI_RESOURCE].allocatable);
    metrics.poolAllocated.set({ node, mode: 'exclusive' }, v.counts.exclusivePods);
    metrics.poolCapacity.set({ node, mode: 'exclusive' }, v.resources[DIRECT_ENI_RESOURCE].capacity);
  };
  for (const n of Object.keys(host.projection.nodes)) pool(n);
  // coalesced: a burst of allocations on a node recomputes its pool view once per window, not
  // once per event (the view walks all of the node's ENIs and IPs; gauges are scraped seconds apart)
  const dirty = new Set<string>();
  let flush: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (flush || dirty.size === 0 || stopped) return;
    flush = setTimeout(async () => {
      const nodes = [...dirty];
      dirty.clear();
      const slice = timeSlicer();
      for (const n of nodes) {
        if (stopped) return;
        await slice(); // many dirty nodes: requests get served between them
        pool(n);
      }
      flush = undefined;
      schedule(); // nodes that changed during this flush
    }, poolEveryMs);
    flush.unref();
  };
  const unlisten = host.onEvents((events) => {
    for (const e of events) if (e.stream.startsWith('node/')) dirty.add(e.stream.slice(5));
    schedule();
  });
  const lag = setInterval(() => {
    store.headRevision().then(
      (head) => metrics.logLag.set(Math.max(0, head - host.appliedRevision)),
      () => undefined,
    );
  }, lagEveryMs);
  lag.unref();
  return () => {
    stopped = true;
    unlisten();
    clearInterval(lag);
    if (flush) clearTimeout(flush);
  };
};
