/**
 * The fake apiserver's storage: objects of every resource under one global, monotonic
 * resourceVersion (like the etcd revision behind a real apiserver), with a bounded history of
 * changes that watches replay from. Everything here is synchronous, so a watch that subscribes and
 * reads the history in one turn of the event loop can never miss or repeat a change.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { finishedTerminating, planDeletion } from './deletion.js';
import { applyPatch, type PatchType } from './patch.js';
import { apiVersionOf, type KubeObject, type ResourceDef } from './resources.js';
import { alreadyExists, badRequest, conflict, expired, invalid, notFound } from './status.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed write. `prev` is the object before a MODIFIED or DELETED. */
export type Change = {
  readonly rv: number;
  readonly def: ResourceDef;
  readonly type: ChangeType;
  readonly object: KubeObject;
  readonly prev?: KubeObject;
};

export type ObjectStoreOptions = {
  /** Changes kept for watch replay; a watch from an older resourceVersion gets 410 Expired. Default 1000. */
  historyLimit?: number;
  /** Source of creationTimestamp. Default: the wall clock. */
  now?: () => Date;
  /** Source of metadata.uid. Default: crypto.randomUUID. */
  uid?: () => string;
  /**
   * Pods bound to a node are deleted gracefully (marked, then removed by a delete with
   * gracePeriodSeconds 0, as the kubelet does). Default false: pods go at once.
   */
  gracefulPodDeletion?: boolean;
};

/** Only the fields the store relies on are checked; the rest of an object is kept as sent. */
const objectSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1).max(253).optional(),
    generateName: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

export const deleteOptionsSchema = z
  .looseObject({
    preconditions: z.object({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
    gracePeriodSeconds: z.number().int().nonnegative().optional(),
  })
  .optional();
export type DeleteOptions = z.infer<typeof deleteOptionsSchema>;

const parseObject = (body: unknown, plural: string): KubeObject => {
  const parsed = objectSchema.safeParse(body);
  if (!parsed.success) throw invalid(plural, '', z.prettifyError(parsed.error).replace(/\n/g, '; '));
  return structuredClone(parsed.data) as KubeObject;
};

/** Everything outside metadata and status: a change there bumps metadata.generation. */
const specOf = (obj: KubeObject) => {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
};

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private rv = 0;
  private compactedRv = 0;
  private readonly objects = new Map<ResourceDef, Map<string, KubeObject>>();
  private history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly historyLimit: number;
  private readonly now: () => Date;
  private readonly uid: () => string;
  private readonly gracefulPods: boolean;

  constructor(options: ObjectStoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.uid = options.uid ?? (() => crypto.randomUUID());
    this.gracefulPods = options.gracefulPodDeletion ?? false;
  }

  /** The latest resourceVersion handed out (0 before any write). */
  resourceVersion(): number {
    return this.rv;
  }

  /** Objects of one resource (in one namespace, or all), sorted by namespace then name like etcd keys. */
  list(def: ResourceDef, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(def)?.entries() ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([, o]) => o).filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  has(def: ResourceDef, namespace: string | undefined, name: string): boolean {
    return this.objects.get(def)?.has(keyOf(namespace, name)) ?? false;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const found = this.objects.get(def)?.get(keyOf(namespace, name));
    if (!found) throw notFound(def.plural, name);
    return found;
  }

  create(def: ResourceDef, namespace: string | undefined, body: unknown): KubeObject {
    const obj = parseObject(body, def.plural);
    const meta = obj.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = meta.generateName + this.uid().replace(/-/g, '').slice(0, 5);
    if (!meta.name) throw invalid(def.plural, '', 'metadata.name: Required value: name or generateName is required');
    if (def.namespaced) {
      if (namespace === undefined) throw badRequest('a namespaced object needs a namespace');
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (this.objects.get(def)?.has(keyOf(meta.namespace, meta.name))) throw alreadyExists(def.plural, meta.name);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    meta.uid = this.uid();
    meta.generation = 1;
    meta.creationTimestamp = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    return this.commit(def, 'ADDED', obj);
  }

  /**
   * PUT. On the main resource `.status` is kept from the stored object (when the resource has a
   * status subresource); on `/status` only `.status` is taken from the body. A body carrying a
   * resourceVersion other than the stored one is a 409 Conflict; without one the update is unconditional.
   */
  update(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, status = false): KubeObject {
    const existing = this.get(def, namespace, name);
    return this.replace(def, existing, parseObject(body, def.plural), status);
  }

  /** PATCH: the patch applies to the stored object, and the result is written as by {@link update}. */
  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    status = false,
  ): KubeObject {
    const existing = this.get(def, namespace, name);
    return this.replace(def, existing, applyPatch(type, existing, patch, def.plural), status);
  }

  /**
   * DELETE: removes the object (a DELETED change with a new resourceVersion), or only marks it
   * terminating when it has finalizers or is a pod deleted gracefully (see ./deletion.ts).
   */
  delete(def: ResourceDef, namespace: string | undefined, name: string, options?: DeleteOptions): KubeObject {
    const existing = this.get(def, namespace, name);
    const pre = options?.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(
        def.plural,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        def.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    const plan = planDeletion({
      def,
      existing,
      gracePeriodSeconds: options?.gracePeriodSeconds,
      gracefulPods: this.gracefulPods,
      now: this.now(),
    });
    if (plan.kind === 'unchanged') return existing;
    if (plan.kind === 'remove') return this.commit(def, 'DELETED', structuredClone(existing), existing);
    const marked = structuredClone(existing);
    marked.metadata.deletionTimestamp = plan.deletionTimestamp;
    marked.metadata.deletionGracePeriodSeconds = plan.deletionGracePeriodSeconds;
    return this.commit(def, 'MODIFIED', marked, existing);
  }

  /** Changes to one resource after `fromRv`, oldest first; 410 Expired when history no longer reaches back that far. */
  changesSince(def: ResourceDef, fromRv: number): Change[] {
    if (fromRv < this.compactedRv) throw expired(fromRv, this.compactedRv + 1);
    return this.history.filter((c) => c.def === def && c.rv > fromRv);
  }

  /** Drops all history, as an etcd compaction at the current revision: older resourceVersions now get 410. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /** Calls `listener` synchronously after every committed change. Returns the unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private replace(def: ResourceDef, existing: KubeObject, candidate: KubeObject, status: boolean): KubeObject {
    const name = existing.metadata.name as string;
    const meta = candidate.metadata;
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && meta.namespace !== undefined && meta.namespace !== existing.metadata.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (meta.uid !== undefined && meta.uid !== existing.metadata.uid) {
      throw conflict(
        def.plural,
        name,
        `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (meta.resourceVersion && meta.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        def.plural,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    let next: KubeObject;
    if (status) {
      // The status strategy: everything but .status comes from the stored object.
      next = { ...structuredClone(existing), status: structuredClone(candidate.status) };
      if (candidate.status === undefined) delete next.status;
    } else {
      next = structuredClone(candidate);
      if (def.hasStatus) {
        if (existing.status === undefined) delete next.status;
        else next.status = structuredClone(existing.status);
      }
      // System-owned metadata cannot be changed by a client.
      const { uid, creationTimestamp, generation, namespace, deletionTimestamp, deletionGracePeriodSeconds } =
        existing.metadata;
      next.metadata = { ...next.metadata, name, uid, creationTimestamp, generation };
      next.metadata.deletionTimestamp = deletionTimestamp;
      next.metadata.deletionGracePeriodSeconds = deletionGracePeriodSeconds;
      if (deletionTimestamp === undefined) delete next.metadata.deletionTimestamp;
      if (deletionGracePeriodSeconds === undefined) delete next.metadata.deletionGracePeriodSeconds;
      if (namespace !== undefined) next.metadata.namespace = namespace;
      else delete next.metadata.namespace;
    }
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    // A write that changes nothing is a no-op, as in the apiserver: no new resourceVersion, no watch event.
    if (isDeepStrictEqual(next, existing)) return existing;
    if (!status && !isDeepStrictEqual(specOf(next), specOf(existing))) {
      next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    }
    // Removing the last finalizer of a terminating object deletes it, in the same write.
    return this.commit(def, finishedTerminating(next) ? 'DELETED' : 'MODIFIED', next, existing);
  }

  private commit(def: ResourceDef, type: ChangeType, object: KubeObject, prev?: KubeObject): KubeObject {
    this.rv += 1;
    object.metadata.resourceVersion = String(this.rv);
    const byKey = this.objects.get(def) ?? new Map<string, KubeObject>();
    this.objects.set(def, byKey);
    const key = keyOf(object.metadata.namespace, object.metadata.name as string);
    if (type === 'DELETED') byKey.delete(key);
    else byKey.set(key, object);
    const change: Change = prev ? { rv: this.rv, def, type, object, prev } : { rv: this.rv, def, type, object };
    this.history.push(change);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift() as Change;
      this.compactedRv = dropped.rv;
    }
    for (const listener of [...this.listeners]) listener(change);
    return object;
  }
}
