import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeEventRecorder } from './event-recorder.js';
import { KeyedQueue } from './keyed-queue.js';
import { podInfo } from './pod-info.js';
import type { PodInfo, PodLifecycle } from './ports.js';
import type { ResilientInformer } from './resilient-informer.js';

/** Event reason on a pod whose VPC-CNI annotations cannot be honoured. */
export const INVALID_POD_REASON = 'VpcCniInvalidAnnotation';

export interface PodSyncOptions {
  informer: ResilientInformer<V1Pod>;
  lifecycle: PodLifecycle;
  events: KubeEventRecorder;
  logger?: Logger;
}

/**
 * Pods -> PodLifecycle, for pods with a `tke.cloud.tencent.com/networks` annotation. A pod whose
 * read facts changed since the last successful call goes to `podSeen`; its deletion to
 * `podDeleted`. Unknown network or claim policy values: a Warning Event on the pod (once per
 * resourceVersion) and no call. A failed call is retried at the next resync.
 */
export class PodSync {
  private readonly queue = new KeyedQueue();
  private readonly delivered = new Map<string, string>();
  private readonly warnedAt = new Map<string, string>();
  private readonly failedDeletes = new Map<string, Parameters<PodLifecycle['podDeleted']>[0]>();

  constructor(private readonly opts: PodSyncOptions) {
    opts.informer.on('add', (p) => this.seen(p));
    opts.informer.on('update', (p) => this.seen(p));
    opts.informer.on('delete', (p) => this.gone(p));
    opts.informer.on('resync', (all) => {
      for (const p of all) this.seen(p);
      for (const [key, ref] of this.failedDeletes) void this.queue.run(key, () => this.callDeleted(key, ref));
    });
  }

  /** Resolves when every call queued so far has settled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private seen(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    void this.queue.run(key, async () => {
      const r = podInfo(pod);
      if (r.kind === 'ignored') return;
      if (r.kind === 'invalid') {
        const rv = pod.metadata?.resourceVersion ?? '';
        if (this.warnedAt.get(key) === rv) return;
        this.warnedAt.set(key, rv);
        this.opts.logger?.warn({ pod: key, reason: r.reason }, 'pod not served: bad annotation');
        await this.opts.events.warning(
          {
            kind: 'Pod',
            apiVersion: 'v1',
            namespace: pod.metadata?.namespace,
            name: pod.metadata?.name ?? '',
            uid: pod.metadata?.uid,
            resourceVersion: rv,
          },
          INVALID_POD_REASON,
          `no VPC IP will be allocated: ${r.reason}`,
        );
        return;
      }
      const json = JSON.stringify(r.info);
      if (this.delivered.get(key) === json) return;
      try {
        await this.opts.lifecycle.podSeen(r.info);
        this.delivered.set(key, json);
      } catch (err) {
        this.opts.logger?.error({ pod: key, err }, 'podSeen failed; retried at the next resync');
      }
    });
  }

  private gone(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    void this.queue.run(key, async () => {
      this.warnedAt.delete(key);
      const last = this.delivered.get(key);
      this.delivered.delete(key);
      const r = podInfo(pod);
      const info: PodInfo | undefined = r.kind === 'pod' ? r.info : last ? (JSON.parse(last) as PodInfo) : undefined;
      if (!info) return;
      const { namespace, name, uid, claimPolicy, statefulSet } = info;
      await this.callDeleted(key, { namespace, name, uid, claimPolicy, statefulSet });
    });
  }

  private async callDeleted(key: string, ref: Parameters<PodLifecycle['podDeleted']>[0]): Promise<void> {
    try {
      await this.opts.lifecycle.podDeleted(ref);
      this.failedDeletes.delete(key);
    } catch (err) {
      this.failedDeletes.set(key, ref);
      this.opts.logger?.error({ pod: key, err }, 'podDeleted failed; retried at the next resync');
    }
  }
}
