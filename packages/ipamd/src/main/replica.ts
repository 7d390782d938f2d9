import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createTencentVpcApi, type TencentVpcApi, type TencentVpcApiOptions } from '@eni-ipam/cloud';
import { type Clock, decodeEvent, IpamError } from '@eni-ipam/core';
import {
  Archiver,
  createEtcdClient,
  type EtcdConnectionOptions,
  EtcdEventStore,
  LeaderElection,
} from '@eni-ipam/store';
import { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApiServer, listen } from '../api/server.js';
import type { Authenticator } from '../auth/authenticator.js';
import { HmacAuthenticator } from '../auth/hmac-authenticator.js';
import { kubeTokenReviewer, TokenReviewAuthenticator } from '../auth/tokenreview-authenticator.js';
import type { IpamdConfig } from '../config/config.js';
import type { Secrets } from '../config/secrets.js';
import { LogMaintenance } from '../controllers/log-maintenance.js';
import { createLogger } from '../observability/logger.js';
import { IpamdMetrics } from '../observability/metrics.js';
import { createIpamdCore, type IpamdCore, type IpamdCoreOptions } from '../service/ipamd-core.js';
import type { ProjectionHost } from '../service/projection-host.js';
import { vpcOptionsOf } from './cloud-options.js';
import { KubeRunner, type KubeRunnerOptions, withPodEvents } from './kube-runner.js';
import { Leadership } from './leadership.js';
import { meteredStore, meteredVpc, recordProjectionMetrics } from './metrics-wiring.js';

export interface ReplicaOptions {
  clock?: Clock;
  logger?: Logger;
  metrics?: IpamdMetrics;
  /** Base URL the other replicas reach this one at; default: the bound address (0.0.0.0 -> host name). */
  advertiseUrl?: string;
  /** Election lease TTL, seconds (default: the config's `--election-ttl`). */
  electionTtlSeconds?: number;
  /** Adapter tuning (timeouts, rate limits, retries); the connection comes from the config. */
  vpc?: Partial<TencentVpcApiOptions>;
  core?: Pick<IpamdCoreOptions, 'executor' | 'reconciler' | 'projection'>;
  /**
   * The leader plans every node this often besides on events (slow release is due by the clock,
   * not by an event). Default 5000 ms.
   */
  reconcileEveryMs?: number;
  /** The reconciler waits this long after a wake-up so a burst of pods costs one bind. Default 100 ms. */
  reconcileSettleMs?: number;
  /** The leader looks for expired static-IP claims this often. Default 10 000 ms. */
  claimExpiryEveryMs?: number;
  /**
   * The Kubernetes side: a KubeConfig (default: built from `config.kube`; none there: no
   * Kubernetes side) and the informers' tuning.
   */
  kube?: { kubeConfig?: KubeConfig; sync?: KubeRunnerOptions['sync'] };
}

/** The KubeConfig `config.kube` asks for, or undefined (no Kubernetes side). */
export const kubeConfigOf = (config: IpamdConfig): KubeConfig | undefined => {
  if (!config.kube) return undefined;
  const kc = new KubeConfig();
  if ('kubeconfig' in config.kube) kc.loadFromFile(config.kube.kubeconfig);
  else kc.loadFromCluster();
  return kc;
};

export interface Replica {
  readonly replicaId: string;
  /** Where this replica's API listens. */
  readonly url: string;
  readonly core: IpamdCore;
  readonly vpc: TencentVpcApi;
  readonly app: FastifyInstance;
  /** The Kubernetes side; undefined when not configured. Its informers run while this replica leads. */
  readonly kube: KubeRunner | undefined;
  leading(): boolean;
  /** Graceful: stops the leader-only work, resigns, closes the server, the projections and etcd. */
  stop(): Promise<void>;
  /** For failover tests: drops the etcd connection without resigning (the lease expires), then stops. */
  crash(): Promise<void>;
}

/** `--auth-mode`: HMAC node tokens, or ServiceAccount tokens through TokenReview. */
const authenticatorOf = (config: IpamdConfig, secrets: Secrets, kc: KubeConfig | undefined): Authenticator => {
  if (config.auth.mode === 'tokenreview') {
    if (!kc) throw new IpamError('InvalidInput', '--auth-mode tokenreview needs the Kubernetes side');
    return new TokenReviewAuthenticator({
      review: kubeTokenReviewer(kc),
      agentServiceAccount: config.auth.agentServiceAccount,
      adminToken: secrets.adminToken,
    });
  }
  if (!secrets.clusterSecret) throw new IpamError('InvalidInput', '--auth-mode hmac needs the cluster secret');
  return new HmacAuthenticator({ clusterSecret: secrets.clusterSecret, adminToken: secrets.adminToken });
};

const systemClock: Clock = { now: () => Date.now() };

const etcdTls = async (tls: IpamdConfig['etcd']['tls']) => {
  if (!tls) return undefined;
  const file = (p: string | undefined) => (p ? readFile(p) : Promise.resolve(undefined));
  const [ca, cert, key] = await Promise.all([file(tls.caFile), file(tls.certFile), file(tls.keyFile)]);
  // no CA given: the system roots (an empty buffer makes grpc-js use them)
  return { ca: ca ?? Buffer.alloc(0), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
};

/**
 * One ipamd replica: the event store on etcd, leader election, the application core, the VPC
 * adapter and the HTTP API. Every replica follows the log and serves reads; the leader also runs
 * the cloud executor and the pool reconciler, and followers forward writes to it.
 */
export const startReplica = async (config: IpamdConfig, secrets: Secrets, o: ReplicaOptions = {}): Promise<Replica> => {
  const replicaId = config.replicaId;
  const logger = o.logger ?? createLogger({ level: config.logLevel, replicaId });
  const metrics = o.metrics ?? new IpamdMetrics();
  const kubeConfig = o.kube?.kubeConfig ?? kubeConfigOf(config);
  const tls = await etcdTls(config.etcd.tls);
  const connection = {
    endpoints: config.etcd.endpoints,
    ...(tls ? { tls } : {}),
    ...(config.etcd.auth && secrets.etcdPassword
      ? { auth: { username: config.etcd.auth.username, password: secrets.etcdPassword } }
      : {}),
  };
  const client = createEtcdClient(connection);
  const { prefix } = config.etcd;
  const store = new EtcdEventStore({
    client,
    prefix,
    decode: decodeEvent,
    ...(config.archiveDir ? { archiveDir: config.archiveDir } : {}),
  });
  let election: LeaderElection | undefined;
  // Only the leader changes the cloud, and only while its lease holds: a deposed leader's late
  // unassign (no ClientToken) would undo the new leader's binds (see TencentVpcApiOptions.mayMutate)
  const vpc = createTencentVpcApi({
    ...vpcOptionsOf(config, secrets),
    mayMutate: () => {
      if (!election) throw new IpamError('NotLeader', 'no leader election yet');
      election.assertLeading();
    },
    ...o.vpc,
  });
  let kube: KubeRunner | undefined;
  const meteredVpcApi = meteredVpc(vpc, metrics);
  const core = createIpamdCore({
    store: meteredStore(store, metrics),
    vpc: meteredVpcApi,
    clock: o.clock ?? systemClock,
    clusterId: config.clusterId,
    writer: { replica: replicaId, term: 0 }, // the term of each event is its fence's create revision
    fence: () => (election?.state === 'leader' ? election.fencingToken() : undefined),
    ...o.core,
    projection: {
      leading: () => election?.state === 'leader',
      onUnavailable: (what, err, retryInMs) =>
        logger.warn({ err, retryInMs }, `etcd unavailable while catching up (${what}); not ready, trying again`),
      ...o.core?.projection,
    },
    executor: {
      vpcForPods: meteredVpc(vpc.withPriority('pod'), metrics),
      onError: (intent, err) => logger.warn({ intent, err }, 'cloud call failed; the intent stays pending'),
      onAddressLost: (lost) => logger.error(lost, 'a bound address is gone from its ENI in the cloud; recorded lost'),
      ...o.core?.executor,
    },
    reconciler: {
      tickEveryMs: o.reconcileEveryMs ?? 5_000,
      settleMs: o.reconcileSettleMs ?? 100,
      modeOf: (node) => kube?.modeOf(node) ?? 'shared',
      onError: (node, action, err) => logger.warn({ node, action, err }, 'pool planning failed; planned again later'),
      ...o.core?.reconciler,
    },
    claimExpiry: {
      tickEveryMs: o.claimExpiryEveryMs ?? 10_000,
      onError: (subnetId, err) => logger.warn({ subnetId, err }, 'claim expiry failed; tried again at the next tick'),
    },
    cloudAudit: {
      everyMs: config.cloudAuditIntervalMs,
      onFinding: (f) => {
        metrics.cloudDrift.inc({ kind: f.kind });
        logger.warn(
          f,
          f.kind === 'lost-ip'
            ? 'cloud audit: bound addresses gone from the ENI; recorded lost'
            : 'cloud audit: the cloud differs from the log',
        );
      },
      onError: (err) => logger.warn({ err }, 'cloud audit failed; tried again at the next interval'),
    },
    service: {
      claimPolicyOf: (_node, pod) => kube?.pods.claimPolicyOf(pod),
      podKnown: async (_node, pod) => {
        if (kube && !kube.pods.get(pod.namespace, pod.name)) await kube.podsKnown();
      },
    },
  });
  if (kubeConfig) {
    kube = new KubeRunner({
      kubeConfig,
      host: core.host,
      commands: core.commands,
      vpc: meteredVpcApi,
      metrics,
      configMap: config.configMap,
      flags: {
        preBind: config.pool.preBind,
        releaseIntervalMs: config.pool.releaseIntervalMs,
        claimExpiryMs: config.claimExpiryMs,
        poolPolicy: config.pool.policy,
      },
      replicaId,
      logger,
      ...(o.kube?.sync ? { sync: o.kube.sync } : {}),
    });
    logger.info({ server: kubeConfig.getCurrentCluster()?.server }, 'Kubernetes side on: informers run on the leader');
  } else {
    logger.info('no Kubernetes side: neither --kubeconfig (env KUBECONFIG) nor an in-cluster config');
  }
  let leadership: Leadership | undefined;
  const app = buildApiServer({
    service: withPodEvents(core.service, () => kube),
    authenticator: authenticatorOf(config, secrets, kubeConfig),
    metrics,
    logger,
    replicaId,
    router: {
      routeWrite: () => leadership?.routeWrite() ?? { kind: 'unavailable', reason: 'starting' },
    },
    ...(secrets.tls ? { tls: secrets.tls } : {}),
    history: core.host,
  });
  const closeEtcd = async () => {
    await store.close().catch(() => undefined);
    client.close();
  };
  let url: string;
  try {
    url = await listen(app, config.listen.host, config.listen.port);
  } catch (e) {
    await closeEtcd();
    throw e;
  }
  const selfUrl = o.advertiseUrl ?? url.replace(/\/\/(0\.0\.0\.0|\[::\]):/, `//${hostname()}:`);
  election = new LeaderElection({
    client,
    prefix,
    candidate: selfUrl,
    ttlSeconds: o.electionTtlSeconds ?? config.electionTtlSeconds,
  });
  logger.info({ url, advertised: selfUrl }, 'API listening; catching up with the log');
  try {
    await core.host.start();
  } catch (e) {
    await app.close();
    await closeEtcd();
    throw e;
  }
  logger.info('projections caught up');
  const stopMetrics = recordProjectionMetrics(core.host, store, metrics);
  const maintenance = logMaintenance(config, {
    store,
    connection,
    host: core.host,
    logger,
    metrics,
    clock: o.clock ?? systemClock,
  });
  leadership = new Leadership({
    election,
    selfUrl,
    logger,
    onChange: (leading) => {
      metrics.leader.set(leading ? 1 : 0);
      metrics.leaderTransitions.inc();
    },
    onElected: async () => {
      core.executor.start();
      core.reconciler.start();
      core.claimExpiry.start();
      core.cloudAudit.start();
      maintenance?.start();
      const stopWork = async () => {
        await maintenance?.stop();
        await kube?.stop();
        await core.cloudAudit.stop();
        await core.claimExpiry.stop();
        await core.reconciler.stop();
        await core.executor.stop();
      };
      try {
        await kube?.start();
      } catch (e) {
        await stopWork();
        throw e;
      }
      return stopWork;
    },
  });
  leadership.start();

  let stopping: Promise<void> | undefined;
  const shutdown = (graceful: boolean) => {
    stopping ??= (async () => {
      if (!graceful) client.close();
      await leadership?.stop();
      if (graceful) await election?.resign().catch((err: unknown) => logger.warn({ err }, 'resign failed'));
      await app.close().catch((err: unknown) => logger.warn({ err }, 'closing the API server failed'));
      stopMetrics();
      await core.host.stop().catch(() => undefined);
      await closeEtcd();
      logger.info({ graceful }, 'replica stopped');
    })();
    return stopping;
  };
  return {
    replicaId,
    url,
    core,
    vpc,
    app,
    kube,
    leading: () => leadership?.leading ?? false,
    stop: () => shutdown(true),
    crash: () => shutdown(false),
  };
};

/**
 * The leader's log maintenance (`--archive-interval`, `--archive-retention`), or undefined when
 * it is off; says which at start, and why when it is off though an interval is set.
 */
const logMaintenance = (
  config: IpamdConfig,
  d: {
    store: EtcdEventStore;
    connection: EtcdConnectionOptions;
    host: ProjectionHost;
    logger: Logger;
    metrics: IpamdMetrics;
    clock: Clock;
  },
): LogMaintenance | undefined => {
  if (config.archiveIntervalMs === 0) {
    d.logger.info('log maintenance off (--archive-interval 0): etcd grows until an operator archives');
    return undefined;
  }
  if (!config.archiveDir) {
    d.logger.warn('log maintenance off: it needs --archive-dir (where archived segments go)');
    return undefined;
  }
  const { logger, metrics } = d;
  logger.info(
    { everyMs: config.archiveIntervalMs, retentionMs: config.archiveRetentionMs, archiveDir: config.archiveDir },
    'log maintenance on (leader): snapshot, archive, compact, defragment',
  );
  return new LogMaintenance({
    host: d.host,
    store: d.store,
    archiver: new Archiver({ store: d.store, archiveDir: config.archiveDir, connection: d.connection }),
    clock: d.clock,
    retentionMs: config.archiveRetentionMs,
    everyMs: config.archiveIntervalMs,
    onRun: (r) => {
      metrics.maintenanceRuns.inc({ outcome: 'ok' });
      metrics.archivedEvents.inc(r.archivedEvents);
      metrics.etcdDbSize.set(r.dbSize);
      logger.info(r, 'log maintenance done');
    },
    onError: (err) => {
      metrics.maintenanceRuns.inc({ outcome: 'error' });
      logger.warn({ err }, 'log maintenance failed; tried again at the next interval');
    },
  });
};
