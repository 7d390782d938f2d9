import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.js';
import { CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, ConfigMapSync, type ConfigMapSyncOptions } from './configmap-sync.js';
import { KubeEventRecorder } from './event-recorder.js';
import { NodeStatusPublisher, type NodeStatusPublisherOptions } from './node-status-publisher.js';
import { NodeSync } from './node-sync.js';
import { PodEventRecorder } from './pod-event-recorder.js';
import { PodSync } from './pod-sync.js';
import type { ConfigSink, NodeLifecycle, PodLifecycle } from './ports.js';
import { ResilientInformer } from './resilient-informer.js';

export interface KubeSyncOptions {
  kubeConfig: KubeConfig;
  nodes: NodeLifecycle;
  pods: PodLifecycle;
  config: ConfigSink;
  /** What each node advertises (see NodeStatusPublisher). */
  resourcesFor: NodeStatusPublisherOptions['resourcesFor'];
  /** This replica, as `reportingInstance` of Events. */
  instance?: string;
  /** Informer resync period. Default 5 minutes. */
  resyncIntervalMs?: number;
  /** Node status coalescing interval. Default 1000 ms. */
  statusIntervalMs?: number;
  backoff?: Backoff;
  logger?: Logger;
  /** The configuration ConfigMap. Default `kube-system/tke-eni-ipamd`. */
  configMap?: { namespace: string; name: string };
  /** Each ConfigMap version's outcome (a metric). */
  onConfigOutcome?: ConfigMapSyncOptions['onOutcome'];
}

/** The running Kubernetes side of ipamd. */
export interface KubeSync {
  /** Resolves when nodes, pods and the ConfigMap have been listed once. */
  readonly ready: Promise<void>;
  /** Resolves when the pods have been listed once and every pod of that list is in the lifecycle. */
  readonly podsListed: Promise<void>;
  readonly nodeStatus: NodeStatusPublisher;
  readonly podEvents: PodEventRecorder;
  readonly events: KubeEventRecorder;
  readonly informers: {
    nodes: ResilientInformer<V1Node>;
    pods: ResilientInformer<V1Pod>;
    configMap: ResilientInformer<V1ConfigMap>;
  };
  /** Resolves when every port call and Event queued so far has settled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires the informers (Nodes, Pods, ConfigMap `kube-system/tke-eni-ipamd`) to their ports,
 * the node status publisher (fed by the node informer, for re-assertion) and the Event
 * recorders, and starts them. Run it on every replica only if the ports forward to the leader;
 * otherwise start it on leadership and stop it on loss.
 *
 * @example
 * const kube = startKubeSync({ kubeConfig, nodes, pods, config, resourcesFor: (n) => view(n)?.resources });
 * await kube.ready;
 */
export const startKubeSync = (opts: KubeSyncOptions): KubeSync => {
  const { kubeConfig: kc, logger } = opts;
  const core = kc.makeApiClient(CoreV1Api);
  const common = {
    kubeConfig: kc,
    ...(opts.resyncIntervalMs !== undefined ? { resyncIntervalMs: opts.resyncIntervalMs } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(logger ? { logger } : {}),
  };
  const cm = opts.configMap ?? { namespace: CONFIGMAP_NAMESPACE, name: CONFIGMAP_NAME };
  const fieldSelector = `metadata.name=${cm.name}`;
  const informers = {
    nodes: new ResilientInformer<V1Node>({
      ...common,
      name: 'nodes',
      path: '/api/v1/nodes',
      list: () => core.listNode(),
    }),
    pods: new ResilientInformer<V1Pod>({
      ...common,
      name: 'pods',
      path: '/api/v1/pods',
      list: () => core.listPodForAllNamespaces(),
    }),
    configMap: new ResilientInformer<V1ConfigMap>({
      ...common,
      name: 'configmap',
      path: `/api/v1/namespaces/${cm.namespace}/configmaps`,
      fieldSelector,
      list: () => core.listNamespacedConfigMap({ namespace: cm.namespace, fieldSelector }),
    }),
  };
  const events = new KubeEventRecorder({
    core,
    ...(opts.instance ? { instance: opts.instance } : {}),
    ...(logger ? { logger } : {}),
  });
  const nodeStatus = new NodeStatusPublisher({
    core,
    resourcesFor: opts.resourcesFor,
    ...(opts.statusIntervalMs !== undefined ? { intervalMs: opts.statusIntervalMs } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(logger ? { logger } : {}),
  });
  const withLogger = logger ? { logger } : {};
  const nodeSync = new NodeSync({ informer: informers.nodes, lifecycle: opts.nodes, events, ...withLogger });
  const podSync = new PodSync({ informer: informers.pods, lifecycle: opts.pods, events, ...withLogger });
  const configSync = new ConfigMapSync({
    informer: informers.configMap,
    sink: opts.config,
    events,
    configMap: cm,
    ...withLogger,
    ...(opts.onConfigOutcome ? { onOutcome: opts.onConfigOutcome } : {}),
  });
  informers.nodes.on('add', (n) => nodeStatus.observe(n));
  informers.nodes.on('update', (n) => nodeStatus.observe(n));
  informers.nodes.on('resync', (all) => {
    for (const n of all) nodeStatus.observe(n);
  });
  informers.nodes.on('delete', (n) => nodeStatus.forget(n.metadata?.name ?? ''));

  for (const i of Object.values(informers)) i.start();
  return {
    ready: Promise.all(Object.values(informers).map((i) => i.ready)).then(() => undefined),
    podsListed: informers.pods.ready.then(() => podSync.idle()),
    nodeStatus,
    podEvents: new PodEventRecorder(events),
    events,
    informers,
    idle: async () => {
      await Promise.all([nodeSync.idle(), podSync.idle(), configSync.idle()]);
      await events.idle();
    },
    stop: async () => {
      await Promise.all(Object.values(informers).map((i) => i.stop()));
      nodeStatus.stop();
      await Promise.all([nodeSync.idle(), podSync.idle(), configSync.idle(), events.idle()]);
    },
  };
};
