/**
 * The resource table of the fake kube-apiserver. Each served resource is one row: where it lives
 * (group, version, plural), its kind, its scope, whether it has a `/status` subresource, and the
 * field selectors the real apiserver accepts for it. Adding a resource is adding a row.
 */

/** Any Kubernetes object as the fake stores it: plain JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
};

export type ObjectMeta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
};

/** Reads one selectable field of an object, as the string the apiserver compares. */
export type FieldGetter = (obj: KubeObject) => string;

export type ResourceDef = {
  /** '' for the core group (served under /api/v1). */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** True when `.status` is a subresource: written only through `/status`, ignored on the main resource. */
  readonly hasStatus: boolean;
  /**
   * DELETE answers with the deleted object (true, as for pods and namespaces) or with a
   * `Status{status: 'Success'}` (false or absent, the registry default, as for nodes and configmaps).
   */
  readonly returnsDeletedObject?: boolean;
  /** Field selectors beyond `metadata.name` and `metadata.namespace`, which every resource accepts. */
  readonly fields: Readonly<Record<string, FieldGetter>>;
};

/** `apiVersion` as written in objects: `v1` for the core group, `group/version` otherwise. */
export const apiVersionOf = (def: ResourceDef): string => (def.group ? `${def.group}/${def.version}` : def.version);

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const at =
  (...path: string[]): FieldGetter =>
  (obj) => {
    let cur: unknown = obj;
    for (const key of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    return str(cur);
  };
const boolAt =
  (...path: string[]): FieldGetter =>
  (obj) =>
    at(...path)(obj) === 'true' ? 'true' : 'false';

/** Field selectors as registered by the real apiserver (pkg/registry/core/{pod,node,event}/strategy.go). */
const podFields = {
  'spec.nodeName': at('spec', 'nodeName'),
  'spec.restartPolicy': at('spec', 'restartPolicy'),
  'spec.schedulerName': at('spec', 'schedulerName'),
  'spec.serviceAccountName': at('spec', 'serviceAccountName'),
  'spec.hostNetwork': boolAt('spec', 'hostNetwork'),
  'status.phase': at('status', 'phase'),
  'status.podIP': at('status', 'podIP'),
  'status.nominatedNodeName': at('status', 'nominatedNodeName'),
};
const eventFields = {
  'involvedObject.kind': at('involvedObject', 'kind'),
  'involvedObject.namespace': at('involvedObject', 'namespace'),
  'involvedObject.name': at('involvedObject', 'name'),
  'involvedObject.uid': at('involvedObject', 'uid'),
  'involvedObject.apiVersion': at('involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': at('involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': at('involvedObject', 'fieldPath'),
  reason: at('reason'),
  reportingComponent: at('reportingComponent'),
  source: at('source', 'component'),
  type: at('type'),
};

const namespaceFields = { 'status.phase': at('status', 'phase') };
const nodeFields = { 'spec.unschedulable': boolAt('spec', 'unschedulable') };

export type ResourceRowOptions = {
  namespaced: boolean;
  /** Has a `/status` subresource. */
  status: boolean;
  returnsDeletedObject?: boolean;
  fields?: Record<string, FieldGetter>;
  /** Default: the lower-case kind plus `s`. */
  plural?: string;
};

/**
 * One row of the table, for `startFakeApiServer({ resources: [...] })` too.
 *
 * @example resource('v1', 'Service', { namespaced: true, status: true })
 */
export const resource = (apiVersion: string, kind: string, o: ResourceRowOptions): ResourceDef => {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  return {
    group,
    version,
    kind,
    plural: o.plural ?? `${kind.toLowerCase()}s`,
    namespaced: o.namespaced,
    hasStatus: o.status,
    ...(o.returnsDeletedObject ? { returnsDeletedObject: true } : {}),
    fields: o.fields ?? {},
  };
};

/** The resources served by default. */
export const defaultResources: readonly ResourceDef[] = [
  resource('v1', 'Namespace', { namespaced: false, status: true, returnsDeletedObject: true, fields: namespaceFields }),
  resource('v1', 'Node', { namespaced: false, status: true, fields: nodeFields }),
  resource('v1', 'Pod', { namespaced: true, status: true, returnsDeletedObject: true, fields: podFields }),
  resource('v1', 'ConfigMap', { namespaced: true, status: false }),
  resource('v1', 'Event', { namespaced: true, status: false, fields: eventFields }),
  resource('apps/v1', 'StatefulSet', { namespaced: true, status: true }),
];

/** Returns the getter for a field selector key, or undefined when the resource does not support it. */
export const fieldGetter = (def: ResourceDef, field: string): FieldGetter | undefined => {
  if (field === 'metadata.name') return at('metadata', 'name');
  if (field === 'metadata.namespace' && def.namespaced) return at('metadata', 'namespace');
  return def.fields[field];
};

/** What a request path addresses. `namespace` is undefined for cluster-scoped or all-namespace requests. */
export type ResourceRoute = {
  readonly def: ResourceDef;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
};

/**
 * Parses `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]` and the `/apis/{group}/{version}/...`
 * form. Returns undefined when no served resource matches.
 */
export const routeOf = (resources: readonly ResourceDef[], pathname: string): ResourceRoute | undefined => {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(2);
  } else return undefined;
  const [version, ...tail] = rest;
  let namespace: string | undefined;
  // `/namespaces/{ns}/{plural}` addresses a namespaced collection; `/namespaces/{name}` the namespace itself.
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    namespace = tail[1];
    tail.splice(0, 2);
  }
  const [plural, name, subresource, ...extra] = tail;
  if (extra.length > 0) return undefined;
  const def = resources.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (!def) return undefined;
  if (namespace !== undefined && !def.namespaced) return undefined;
  // A namespaced object is addressed only inside its namespace; the bare path is the all-namespaces list.
  if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
  return { def, namespace, name, subresource };
};
