import type { PoolMode, VpcApi } from '@eni-ipam/core';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { IpamService } from '../api/service.js';
import { type KubeSync, type KubeSyncOptions, startKubeSync } from '../kube/kube-sync.js';
import type { ExtendedResources } from '../kube/node-status-publisher.js';
import type { IpamdMetrics } from '../observability/metrics.js';
import type { CommandService } from '../service/command-service.js';
import {
  type FlagSettings,
  KubeConfigSink,
  KubeNodeLifecycle,
  KubePodLifecycle,
  reconcileFlagSettings,
} from '../service/kube-adapters.js';
import type { ProjectionHost } from '../service/projection-host.js';

export interface KubeRunnerOptions {
  kubeConfig: KubeConfig;
  host: ProjectionHost;
  commands: CommandService;
  vpc: VpcApi;
  flags: FlagSettings;
  replicaId: string;
  logger: Logger;
  metrics?: IpamdMetrics;
  /** The configuration ConfigMap (`--configmap`). */
  configMap?: { namespace: string; name: string };
  /** Tuning of the informers and the status publisher (tests). */
  sync?: Pick<KubeSyncOptions, 'resyncIntervalMs' | 'statusIntervalMs' | 'backoff'>;
}

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/**
 * ipamd's Kubernetes side in a replica. Decision: the informers run on the LEADER only (started
 * on election, stopped on loss): every port call writes (registers nodes, drains them, changes
 * the configuration), and the leader is the only writer, so nothing is forwarded and a follower
 * does not watch the apiserver for nothing. The pod cache (claim policies) is kept across terms
 * and refilled by the new term's first list.
 *
 * On election the flags' pool settings are written to the cluster stream when they differ from
 * the configuration in force (see `reconcileFlagSettings`).
 */
export class KubeRunner {
  readonly pods: KubePodLifecycle;
  readonly nodes: KubeNodeLifecycle;
  private readonly config: KubeConfigSink;
  private sync: KubeSync | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Resolved by this term's first pod list; made anew when the term ends. */
  private listed = deferred();

  constructor(private readonly o: KubeRunnerOptions) {
    const deps = { commands: o.commands, host: o.host, vpc: o.vpc, flags: o.flags, logger: o.logger };
    this.pods = new KubePodLifecycle(deps);
    this.nodes = new KubeNodeLifecycle(deps);
    this.config = new KubeConfigSink(deps);
  }

  /** The running sync (leader only). */
  get running(): KubeSync | undefined {
    return this.sync;
  }

  /** What a node advertises: its pool view's resources; nothing for a node not served. */
  resourcesFor = (node: string): ExtendedResources | undefined => {
    const s = this.o.host.node(node);
    if (s.status !== 'active' && s.status !== 'draining') return undefined;
    return this.o.host.nodePoolView(node).resources;
  };

  /**
   * A node's pool mode: exclusive when it hands out whole ENIs (an assignment in the log, or a
   * Kubernetes pod on it asking for `tke-direct-eni`), else shared.
   */
  modeOf = (node: string): PoolMode =>
    Object.keys(this.o.host.node(node).assignments).length > 0 || this.pods.hasDirectEniPod(node)
      ? 'exclusive'
      : 'shared';

  /** Starts the informers (on election). Resolves once the flags' settings are in force. */
  async start(): Promise<void> {
    const { logger } = this.o;
    await reconcileFlagSettings({ ...this.o, logger });
    const sync = startKubeSync({
      kubeConfig: this.o.kubeConfig,
      nodes: this.nodes,
      pods: this.pods,
      config: this.config,
      resourcesFor: this.resourcesFor,
      instance: this.o.replicaId,
      logger: logger.child({ component: 'kube' }),
      ...this.o.sync,
      ...(this.o.configMap ? { configMap: this.o.configMap } : {}),
      onConfigOutcome: (outcome) => this.o.metrics?.configChanges.inc({ outcome }),
    });
    this.sync = sync;
    const listed = this.listed;
    sync.podsListed.then(listed.resolve, () => undefined);
    // a changed node stream may change what the node advertises; the publisher coalesces
    this.unsubscribe = this.o.host.onEvents((events) => {
      const touched = new Set<string>();
      for (const e of events) if (e.stream.startsWith('node/')) touched.add(e.stream.slice(5));
      for (const n of touched) {
        if (this.resourcesFor(n)) sync.nodeStatus.publish(n);
        if (this.o.host.node(n).status === 'draining') this.removeDrained(n);
      }
    });
    sync.ready.then(
      () => logger.info('Kubernetes sync: nodes, pods and the ConfigMap listed'),
      () => undefined,
    );
  }

  private removing = new Set<string>();
  /** A deleted node that holds nothing any more is removed (one attempt at a time per node). */
  private removeDrained(node: string): void {
    if (this.removing.has(node)) return;
    this.removing.add(node);
    this.nodes
      .removeIfDrained(node)
      .catch((err: unknown) => this.o.logger.warn({ node, err }, 'removing a drained node failed; tried again'))
      .finally(() => this.removing.delete(node));
  }

  /**
   * Resolves once this term's first pod list is in the pod cache, or after `timeoutMs`. A new
   * leader asked for a pod it has not seen waits for it: deciding earlier would give a StatefulSet
   * pod with claim policy Never an address without a claim, and it would come back at another one.
   */
  async podsKnown(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.listed.promise, timeout]).finally(() => clearTimeout(timer));
  }

  async stop(): Promise<void> {
    this.listed = deferred();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const sync = this.sync;
    this.sync = undefined;
    await sync?.stop();
  }
}

/**
 * The service with Warning Events on pods that cannot get an address (when the Kubernetes side
 * runs on this replica): the reason says why (pool empty and refilling, subnet exhausted, claim in
 * another subnet, no subnet in the node's zone). The error still goes to the caller.
 */
export const withPodEvents = (service: IpamService, runner: () => KubeRunner | undefined): IpamService => {
  const allocate: IpamService['allocate'] = async (node, req, ctx) => {
    try {
      return await service.allocate(node, req, ctx);
    } catch (err) {
      const r = runner();
      const sync = r?.running;
      if (sync) {
        const uid = req.pod.uid ?? r?.pods.get(req.pod.namespace, req.pod.name)?.uid;
        void sync.podEvents.cannotGetAddress({ ...req.pod, ...(uid ? { uid } : {}) }, err);
      }
      throw err;
    }
  };
  // every other method is the service's own, bound to it
  return new Proxy(service, {
    get: (target, prop, receiver) => {
      if (prop === 'allocate') return allocate;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
};
