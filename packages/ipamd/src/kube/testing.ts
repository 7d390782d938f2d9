/**
 * Test doubles of the kube ports and a harness starting startKubeSync against the fake apiserver
 * (tests only). The one file of ipamd that imports the test workspace's fake apiserver; the kube
 * tests take it from here.
 */
import { type ClusterConfig, defaultClusterConfig } from '@eni-ipam/core';
import { type FakeApiServer, startFakeApiServer } from '@eni-ipam/test/support';

export {
  type FakeApiServer,
  instanceIdFor,
  makeNode,
  makePod,
  startFakeApiServer,
  waitFor,
} from '@eni-ipam/test/support';

import type { CoreV1Event } from '@kubernetes/client-node';
import pino from 'pino';
import type { SubnetFacts } from '../config/configmap.js';
import { type KubeSync, type KubeSyncOptions, startKubeSync } from './kube-sync.js';
import type { ExtendedResources } from './node-status-publisher.js';
import type { ConfigSink, NodeFacts, NodeLifecycle, PodInfo, PodLifecycle } from './ports.js';

/** Records calls; `failNext` makes the next N calls reject. */
export class RecordingNodes implements NodeLifecycle {
  readonly calls: Array<{ op: 'appeared'; name: string; facts: NodeFacts } | { op: 'deleted'; name: string }> = [];
  failNext = 0;
  async nodeAppeared(name: string, facts: NodeFacts): Promise<void> {
    this.maybeFail();
    this.calls.push({ op: 'appeared', name, facts });
  }
  async nodeDeleted(name: string): Promise<void> {
    this.maybeFail();
    this.calls.push({ op: 'deleted', name });
  }
  private maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected port failure');
    }
  }
}

export class RecordingPods implements PodLifecycle {
  readonly calls: Array<
    { op: 'seen'; pod: PodInfo } | { op: 'deleted'; pod: Parameters<PodLifecycle['podDeleted']>[0] }
  > = [];
  failNext = 0;
  async podSeen(pod: PodInfo): Promise<void> {
    this.maybeFail();
    this.calls.push({ op: 'seen', pod });
  }
  async podDeleted(pod: Parameters<PodLifecycle['podDeleted']>[0]): Promise<void> {
    this.maybeFail();
    this.calls.push({ op: 'deleted', pod });
  }
  private maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected port failure');
    }
  }
}

/** A config sink holding the configuration in memory; every subnet is "empty in the VPC" unless listed in `notEmpty`. */
export class MemoryConfigSink implements ConfigSink {
  config: ClusterConfig;
  readonly applied: ClusterConfig[] = [];
  readonly notEmpty = new Set<string>();
  constructor(vpcId = 'vpc-a1b2c3d4', subnets: string[] = []) {
    this.config = defaultClusterConfig(vpcId, subnets);
  }
  current(): ClusterConfig {
    return this.config;
  }
  /** The candidates of each subnetFacts call. */
  readonly asked: string[][] = [];
  /** The next N subnetFacts calls reject (the VPC is unreachable). */
  failFacts = 0;
  async subnetFacts(candidates: readonly string[]): Promise<SubnetFacts> {
    this.asked.push([...candidates]);
    if (this.failFacts > 0) {
      this.failFacts--;
      throw new Error('injected VPC failure');
    }
    const known = new Set(candidates);
    return { boundIps: () => 0, isEmptyInVpc: (id) => (known.has(id) ? !this.notEmpty.has(id) : undefined) };
  }
  async apply(config: ClusterConfig): Promise<void> {
    this.config = config;
    this.applied.push(config);
  }
}

/** Log lines captured from a pino logger. */
export const captureLogger = () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
};

export interface Harness {
  api: FakeApiServer;
  kube: KubeSync;
  nodes: RecordingNodes;
  pods: RecordingPods;
  sink: MemoryConfigSink;
  resources: Map<string, ExtendedResources>;
  logs: Array<Record<string, unknown>>;
  /** Events in a namespace (`default` for nodes), optionally of one reason. */
  events(namespace: string, reason?: string): CoreV1Event[];
  close(): Promise<void>;
}

/** Starts the fake apiserver (seeded by `seed`) and startKubeSync with recording ports. */
export const startHarness = async (
  seed: (api: FakeApiServer) => void = () => {},
  options: Partial<KubeSyncOptions> = {},
): Promise<Harness> => {
  const api = await startFakeApiServer();
  seed(api);
  const nodes = new RecordingNodes();
  const pods = new RecordingPods();
  const sink = new MemoryConfigSink();
  const resources = new Map<string, ExtendedResources>();
  const { logger, lines } = captureLogger();
  const kube = startKubeSync({
    kubeConfig: api.kubeConfig(),
    nodes,
    pods,
    config: sink,
    resourcesFor: (n) => resources.get(n),
    instance: 'ipamd-test-0',
    resyncIntervalMs: 0,
    statusIntervalMs: 100,
    backoff: { initialMs: 20, maxMs: 200 },
    logger,
    ...options,
  });
  return {
    api,
    kube,
    nodes,
    pods,
    sink,
    resources,
    logs: lines,
    events: (namespace, reason) =>
      api.list<CoreV1Event>('events', namespace).filter((e) => reason === undefined || e.reason === reason),
    close: async () => {
      await kube.stop();
      await api.close();
    },
  };
};
