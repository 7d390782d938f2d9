import { randomBytes } from 'node:crypto';
import { type CoreV1Api, type CoreV1Event, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KeyedQueue } from './keyed-queue.js';
import { kubeFailure } from './kube-error.js';

/** The object an Event is about. */
export interface InvolvedObject {
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects (their Events go to `default`, as the kubelet's do). */
  namespace?: string | undefined;
  uid?: string | undefined;
  apiVersion?: string | undefined;
  resourceVersion?: string | undefined;
}

export type EventType = 'Warning' | 'Normal';

export interface KubeEventRecorderOptions {
  core: CoreV1Api;
  /** `source.component` and `reportingComponent`. Default `eni-ipamd`. */
  component?: string;
  /** `reportingInstance` and `source.host`: this replica. */
  instance?: string;
  now?: () => Date;
  logger?: Logger;
  /** Dedup entries kept in memory (oldest dropped). Default 4096. */
  cacheSize?: number;
}

interface Known {
  name: string;
  namespace: string;
  count: number;
}

/**
 * Writes core/v1 Events and aggregates repeats like client-go's recorder: an Event with the same
 * object, type and reason as an earlier one is not created again; its `count` goes up and its
 * message and `lastTimestamp` follow the latest. Repeats are found in memory, and after a
 * restart by listing the object's Events, so a restarted ipamd does not start a new series.
 * Best effort: a failure to write is logged, never thrown (an Event must not fail the caller).
 */
export class KubeEventRecorder {
  private readonly known = new Map<string, Known>();
  private readonly queue = new KeyedQueue();
  private readonly component: string;

  constructor(private readonly opts: KubeEventRecorderOptions) {
    this.component = opts.component ?? 'eni-ipamd';
  }

  warning(obj: InvolvedObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Warning', reason, message);
  }

  normal(obj: InvolvedObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Normal', reason, message);
  }

  record(obj: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.namespace ?? 'default';
    const key = [namespace, obj.kind, obj.name, obj.uid ?? '', type, reason].join('\u0000');
    return this.queue.run(key, async () => {
      try {
        await this.write(key, namespace, obj, type, reason, message);
      } catch (err) {
        this.opts.logger?.warn(
          { err: kubeFailure(err), kind: obj.kind, name: obj.name, namespace: obj.namespace, reason },
          'could not record a Kubernetes Event',
        );
      }
    });
  }

  /** Resolves when every Event asked for so far is written (or given up). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async write(
    key: string,
    namespace: string,
    obj: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = (this.opts.now ?? (() => new Date()))();
    const known = this.known.get(key) ?? (await this.findExisting(namespace, obj, type, reason));
    if (known) {
      try {
        await this.opts.core.patchNamespacedEvent(
          { name: known.name, namespace, body: { count: known.count + 1, message, lastTimestamp: now.toISOString() } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        this.remember(key, { ...known, count: known.count + 1 });
        return;
      } catch (err) {
        if (kubeFailure(err).status !== 404) throw err;
        this.known.delete(key); // expired or deleted meanwhile: start a new series
      }
    }
    const body: CoreV1Event = {
      metadata: { name: `${obj.name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace },
      involvedObject: {
        kind: obj.kind,
        name: obj.name,
        ...(obj.namespace ? { namespace: obj.namespace } : {}),
        ...(obj.uid ? { uid: obj.uid } : {}),
        ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
        ...(obj.resourceVersion ? { resourceVersion: obj.resourceVersion } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component, ...(this.opts.instance ? { host: this.opts.instance } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.opts.instance ?? '',
    };
    const created = await this.opts.core.createNamespacedEvent({ namespace, body });
    this.remember(key, { name: created.metadata?.name ?? body.metadata.name ?? '', namespace, count: 1 });
  }

  private async findExisting(
    namespace: string,
    obj: InvolvedObject,
    type: EventType,
    reason: string,
  ): Promise<Known | undefined> {
    const fieldSelector = [
      `involvedObject.kind=${obj.kind}`,
      `involvedObject.name=${obj.name}`,
      `reason=${reason}`,
      `type=${type}`,
    ].join(',');
    const list = await this.opts.core.listNamespacedEvent({ namespace, fieldSelector });
    const ours = list.items
      .filter((e) => (e.reportingComponent || e.source?.component) === this.component)
      .filter((e) => !obj.uid || !e.involvedObject.uid || e.involvedObject.uid === obj.uid)
      .sort((a, b) => (b.count ?? 1) - (a.count ?? 1));
    const e = ours[0];
    return e?.metadata.name ? { name: e.metadata.name, namespace, count: e.count ?? 1 } : undefined;
  }

  private remember(key: string, k: Known): void {
    this.known.delete(key);
    this.known.set(key, k);
    const limit = this.opts.cacheSize ?? 4096;
    for (const old of this.known.keys()) {
      if (this.known.size <= limit) break;
      this.known.delete(old);
    }
  }
}
