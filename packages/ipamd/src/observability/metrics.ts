import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every metric ipamd exports, on its own registry (one per process; tests make their own).
 * Documented in packages/ipamd/METRICS.md: keep the two in step. Names are prefixed `eni_ipam_`.
 * The HTTP layer records the `http_*` and `allocations`/`releases` ones; the composition root's
 * controllers (pool reconciler, cloud executor, log consumer, election) record the others.
 */
export class IpamdMetrics {
  readonly registry = new Registry();

  /** Allocation requests answered, by mode (`shared`/`exclusive`) and outcome (`ok` or an error code). */
  readonly allocations = new Counter({
    name: 'eni_ipam_allocations_total',
    help: 'Pod address allocations answered, by mode and outcome (ok or the error code).',
    labelNames: ['mode', 'outcome'] as const,
    registers: [this.registry],
  });
  /** Time from request to answer of an allocation, by mode. */
  readonly allocationSeconds = new Histogram({
    name: 'eni_ipam_allocation_duration_seconds',
    help: 'Latency of pod address allocations, by mode.',
    labelNames: ['mode'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Differences between the log and the cloud found by the cloud audit, by kind. */
  readonly cloudDrift = new Counter({
    name: 'eni_ipam_cloud_drift_total',
    help: 'Differences between the log and the cloud found by the cloud audit, by kind (lost-ip, unknown-ip, missing-eni, unknown-eni).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Log maintenance runs (snapshot, archive, compact, defragment), by outcome. */
  readonly maintenanceRuns = new Counter({
    name: 'eni_ipam_log_maintenance_runs_total',
    help: 'Log maintenance runs (snapshot, archive, compact, defragment), by outcome (ok or error).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** Events moved from etcd to the archive. */
  readonly archivedEvents = new Counter({
    name: 'eni_ipam_log_archived_events_total',
    help: 'Events moved from etcd to the archive by log maintenance.',
    registers: [this.registry],
  });
  /** The largest etcd member database after the last maintenance run. */
  readonly etcdDbSize = new Gauge({
    name: 'eni_ipam_etcd_db_size_bytes',
    help: 'Size of the largest etcd member database after the last log maintenance run (defragmented), bytes.',
    registers: [this.registry],
  });
  /** Release requests answered, by outcome. */
  readonly releases = new Counter({
    name: 'eni_ipam_releases_total',
    help: 'Pod address releases answered, by outcome (ok or the error code).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** Secondary IPs (shared) or ENIs (exclusive) bound to a node. */
  readonly poolBound = new Gauge({
    name: 'eni_ipam_pool_bound',
    help: 'Addresses (shared mode) or ENIs (exclusive mode) bound to the node.',
    labelNames: ['node', 'mode'] as const,
    registers: [this.registry],
  });
  /** Of those, held by pods. */
  readonly poolAllocated = new Gauge({
    name: 'eni_ipam_pool_allocated',
    help: 'Bound addresses or ENIs held by pods on the node.',
    labelNames: ['node', 'mode'] as const,
    registers: [this.registry],
  });
  /** The node's max bindable (its extended resource capacity). */
  readonly poolCapacity = new Gauge({
    name: 'eni_ipam_pool_capacity',
    help: 'Max bindable addresses or ENIs of the node (the extended resource capacity).',
    labelNames: ['node', 'mode'] as const,
    registers: [this.registry],
  });
  /** Cloud API calls, by action (e.g. CreateNetworkInterface) and outcome (ok, or the error class). */
  readonly cloudCalls = new Counter({
    name: 'eni_ipam_cloud_calls_total',
    help: 'VPC API calls by action and outcome (ok, retryable, capacity, permanent, ambiguous, invalid_state).',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly cloudCallSeconds = new Histogram({
    name: 'eni_ipam_cloud_call_duration_seconds',
    help: 'Latency of VPC API calls, by action.',
    labelNames: ['action'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Events appended to the log, by stream kind (node, subnet, cluster) and event type. */
  readonly eventsAppended = new Counter({
    name: 'eni_ipam_events_appended_total',
    help: 'Events appended to the log, by stream kind and event type.',
    labelNames: ['stream_kind', 'type'] as const,
    registers: [this.registry],
  });
  /** Appends refused by the expected-version or leader-fence compare, by reason. */
  readonly appendConflicts = new Counter({
    name: 'eni_ipam_append_conflicts_total',
    help: 'Appends refused by a compare (reason: version or fence).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** 1 while this replica holds the leader key, else 0. */
  readonly leader = new Gauge({
    name: 'eni_ipam_leader',
    help: '1 while this replica is the leader, else 0.',
    registers: [this.registry],
  });
  /** Leadership changes seen by this replica. */
  readonly leaderTransitions = new Counter({
    name: 'eni_ipam_leader_transitions_total',
    help: 'Times this replica gained or lost leadership.',
    registers: [this.registry],
  });
  /** How far this replica's projections trail the log head (etcd revisions). */
  readonly logLag = new Gauge({
    name: 'eni_ipam_log_lag_revisions',
    help: 'Revisions between the log head and what this replica has applied.',
    registers: [this.registry],
  });
  /** Open node feed streams. */
  readonly feedStreams = new Gauge({
    name: 'eni_ipam_feed_streams',
    help: 'Open node feed streams served by this replica.',
    registers: [this.registry],
  });
  /** The last revision each node's agent acknowledged. */
  readonly nodeAckedRevision = new Gauge({
    name: 'eni_ipam_node_acked_revision',
    help: "The last feed revision the node's agent acknowledged.",
    labelNames: ['node'] as const,
    registers: [this.registry],
  });
  /** ConfigMap changes applied or rejected. */
  readonly configChanges = new Counter({
    name: 'eni_ipam_config_changes_total',
    help: 'ConfigMap tke-eni-ipamd changes, by outcome (applied, unchanged, rejected).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** HTTP requests answered, by method, route pattern and status code. */
  readonly httpRequests = new Counter({
    name: 'eni_ipam_http_requests_total',
    help: 'HTTP API requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'eni_ipam_http_request_duration_seconds',
    help: 'HTTP API latency by method and route pattern (feed streams: until the stream closes).',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Adds Node.js process metrics (CPU, memory, event loop lag) with the `eni_ipam_` prefix. */
  constructor() {
    // every kind from zero, so an alert on increase() sees the first finding
    for (const kind of ['lost-ip', 'unknown-ip', 'missing-eni', 'unknown-eni']) this.cloudDrift.inc({ kind }, 0);
    for (const outcome of ['ok', 'error']) this.maintenanceRuns.inc({ outcome }, 0);
    this.archivedEvents.inc(0);
  }

  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry, prefix: 'eni_ipam_' });
    return this;
  }
}
