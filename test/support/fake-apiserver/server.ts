/**
 * A fake kube-apiserver on node:http, faithful enough for the real `@kubernetes/client-node`
 * (informers, typed API calls, patches) and for the demo. See ./README.md for what it serves
 * and where it knowingly differs from the real thing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { type Fault, type FaultSpec, Faults } from './faults.js';
import { handleRequest, type RecordedRequest, type TokenUser } from './http-handler.js';
import { ObjectStore } from './object-store.js';
import { PATCH_TYPES, type PatchType } from './patch.js';
import { defaultResources, type KubeObject, type ResourceDef } from './resources.js';
import { expired } from './status.js';
import type { OpenWatch } from './watch-stream.js';

export type FakeApiServerOptions = {
  /** When set, every API request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Port on 127.0.0.1. Default 0: a free port chosen by the OS. */
  port?: number;
  /** Changes kept for watch replay (older resourceVersions get 410 Expired). Default 1000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 5000 ms (the real one is about a minute). */
  bookmarkIntervalMs?: number;
  /** Server-side end of watches that send no timeoutSeconds. Default: never. */
  defaultWatchTimeoutSeconds?: number;
  /** More resources to serve, beside nodes, namespaces, pods, configmaps, events and statefulsets. */
  resources?: readonly ResourceDef[];
  /** Source of creationTimestamp. Default: the wall clock. */
  now?: () => Date;
  /** Pods bound to a node are marked terminating by DELETE and removed by a DELETE with gracePeriodSeconds 0. Default false. */
  gracefulPodDeletion?: boolean;
  /** Requests kept in `requests` (oldest dropped first). Default 10000. */
  requestLogLimit?: number;
  /** Namespace of the kubeconfig context. Default `default`. */
  namespace?: string;
};

export type PatchOptions = { type?: PatchType; status?: boolean; namespace?: string };

export type FakeApiServer = {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** A KubeConfig for client-node pointing at this server (with the bearer token when one is set). */
  kubeConfig(): KubeConfig;
  /** The same config as text (JSON, which is valid YAML), for a KUBECONFIG file of a child process. */
  kubeConfigText(): string;
  /** Ends every open watch and connection, then stops listening. */
  close(): Promise<void>;

  /** Direct state access, with the same semantics (and resourceVersions, and watch events) as the HTTP API. */
  create<T extends object = KubeObject>(resource: string, object: T): T;
  get<T extends object = KubeObject>(resource: string, name: string, namespace?: string): T;
  list<T extends object = KubeObject>(resource: string, namespace?: string): T[];
  update<T extends object = KubeObject>(resource: string, object: T): T;
  updateStatus<T extends object = KubeObject>(resource: string, object: T): T;
  patch<T extends object = KubeObject>(resource: string, name: string, patch: unknown, options?: PatchOptions): T;
  /** As DELETE; `gracePeriodSeconds: 0` finishes a graceful pod deletion (what the kubelet sends). */
  delete<T extends object = KubeObject>(
    resource: string,
    name: string,
    namespace?: string,
    options?: { gracePeriodSeconds?: number },
  ): T;
  /** The latest resourceVersion, as a string. */
  resourceVersion(): string;

  /** Drops the watch history: a watch from any older resourceVersion now gets ERROR 410 Expired. */
  compact(): void;
  /** Compacts, then sends ERROR 410 Expired on every open watch (of one resource, or all) and ends it. */
  expireWatches(resource?: string): void;
  /** Ends open watches normally (of one resource, or all): clients re-watch from their last resourceVersion. */
  closeWatches(resource?: string): void;
  openWatchCount(resource?: string): number;

  /** Makes `token` a valid ServiceAccount token for TokenReview (`POST /apis/authentication.k8s.io/v1/tokenreviews`). */
  addServiceAccountToken(token: string, user: TokenUser): void;
  /** Makes matching requests fail with a Status of the given code (once by default). */
  injectFault(spec: FaultSpec): Fault;
  clearFaults(): void;
  /** Requests received (the latest `requestLogLimit`), oldest first. */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
};

const byPlural = (resources: readonly ResourceDef[], resource: string): ResourceDef => {
  // `statefulsets` or `statefulsets.apps`, as kubectl spells it.
  const [plural, ...group] = resource.split('.');
  const def = resources.find((r) => r.plural === plural && (group.length === 0 || r.group === group.join('.')));
  if (!def) throw new Error(`fake apiserver: unknown resource "${resource}"`);
  return def;
};

/**
 * Starts the fake apiserver on 127.0.0.1.
 *
 * @example
 * const api = await startFakeApiServer();
 * api.create('nodes', makeNode('n1', { zone: 'ap-guangzhou-3' }));
 * const core = api.kubeConfig().makeApiClient(CoreV1Api);
 * await core.listNode();
 * await api.close();
 */
export const startFakeApiServer = async (options: FakeApiServerOptions = {}): Promise<FakeApiServer> => {
  const resources = [...defaultResources, ...(options.resources ?? [])];
  const store = new ObjectStore({
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    ...(options.now ? { now: options.now } : {}),
    gracefulPodDeletion: options.gracefulPodDeletion ?? false,
  });
  const faults = new Faults();
  const openWatches = new Set<OpenWatch>();
  const requests: RecordedRequest[] = [];
  const ctx = {
    store,
    resources,
    faults,
    openWatches,
    requests,
    requestLogLimit: options.requestLogLimit ?? 10_000,
    token: options.token,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    defaultWatchTimeoutSeconds: options.defaultWatchTimeoutSeconds,
    serviceAccountTokens: new Map<string, TokenUser>(),
  };
  const server = createServer((req, res) => void handleRequest(ctx, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const kubeConfig = () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
      users: [{ name: 'fake', ...(options.token ? { token: options.token } : {}) }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace: options.namespace ?? 'default' }],
      currentContext: 'fake',
    });
    return kc;
  };
  const nsOf = (def: ResourceDef, object: object, namespace?: string) =>
    def.namespaced ? (namespace ?? (object as KubeObject).metadata?.namespace ?? 'default') : undefined;
  const nameOf = (object: object) => String((object as KubeObject).metadata?.name ?? '');
  const out = <T>(o: KubeObject) => structuredClone(o) as T;
  const watchesOf = (resource?: string) => {
    const def = resource === undefined ? undefined : byPlural(resources, resource);
    return [...openWatches].filter((w) => def === undefined || w.def === def);
  };

  return {
    url,
    port,
    kubeConfig,
    kubeConfigText: () => kubeConfig().exportConfig(),
    close: async () => {
      for (const w of [...openWatches]) w.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    create: (resource, object) => {
      const def = byPlural(resources, resource);
      return out(store.create(def, nsOf(def, object), object));
    },
    get: (resource, name, namespace) => {
      const def = byPlural(resources, resource);
      return out(store.get(def, def.namespaced ? (namespace ?? 'default') : undefined, name));
    },
    list: (resource, namespace) => store.list(byPlural(resources, resource), namespace).map((o) => out(o)),
    update: (resource, object) => {
      const def = byPlural(resources, resource);
      return out(store.update(def, nsOf(def, object), nameOf(object), object));
    },
    updateStatus: (resource, object) => {
      const def = byPlural(resources, resource);
      return out(store.update(def, nsOf(def, object), nameOf(object), object, true));
    },
    patch: (resource, name, patch, opts = {}) => {
      const def = byPlural(resources, resource);
      const ns = def.namespaced ? (opts.namespace ?? 'default') : undefined;
      return out(store.patch(def, ns, name, opts.type ?? 'merge', patch, opts.status ?? false));
    },
    delete: (resource, name, namespace, opts) => {
      const def = byPlural(resources, resource);
      return out(store.delete(def, def.namespaced ? (namespace ?? 'default') : undefined, name, opts));
    },
    resourceVersion: () => String(store.resourceVersion()),
    compact: () => store.compact(),
    expireWatches: (resource) => {
      store.compact();
      const rv = store.resourceVersion();
      for (const w of watchesOf(resource)) w.fail(expired(rv - 1, rv));
    },
    closeWatches: (resource) => {
      for (const w of watchesOf(resource)) w.close();
    },
    openWatchCount: (resource) => watchesOf(resource).length,
    addServiceAccountToken: (token, user) => {
      ctx.serviceAccountTokens.set(token, user);
    },
    injectFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    get requests() {
      return requests;
    },
    clearRequests: () => {
      requests.length = 0;
    },
  };
};

export { PATCH_TYPES };
