import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeEventRecorder } from './event-recorder.js';
import { KeyedQueue } from './keyed-queue.js';
import { nodeFacts } from './node-facts.js';
import type { NodeLifecycle } from './ports.js';
import type { ResilientInformer } from './resilient-informer.js';

/** Event reason on a node whose providerID or zone cannot be read. */
export const INVALID_NODE_REASON = 'VpcCniInvalidNode';

export interface NodeSyncOptions {
  informer: ResilientInformer<V1Node>;
  lifecycle: NodeLifecycle;
  events: KubeEventRecorder;
  logger?: Logger;
}

/**
 * Nodes -> NodeLifecycle. A node whose facts (instance, zone, labels) changed since the last
 * successful call is handed to `nodeAppeared`; status-only updates call nothing. A node whose
 * providerID cannot be read gets a Warning Event saying why (once per resourceVersion) and no
 * call. A failed call is retried at the next resync.
 */
export class NodeSync {
  private readonly queue = new KeyedQueue();
  /** Facts last delivered successfully, as JSON, per node. */
  private readonly delivered = new Map<string, string>();
  private readonly warnedAt = new Map<string, string>();
  /** Deleted nodes whose nodeDeleted call failed: retried at each resync. */
  private readonly failedDeletes = new Set<string>();

  constructor(private readonly opts: NodeSyncOptions) {
    opts.informer.on('add', (n) => this.seen(n));
    opts.informer.on('update', (n) => this.seen(n));
    opts.informer.on('delete', (n) => this.gone(n));
    opts.informer.on('resync', (all) => {
      for (const n of all) this.seen(n);
      for (const name of this.failedDeletes) if (!all.some((n) => n.metadata?.name === name)) this.deleted(name);
    });
  }

  /** Resolves when every call queued so far has settled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private seen(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    void this.queue.run(name, async () => {
      const r = nodeFacts(node);
      if (!r.ok) {
        const rv = node.metadata?.resourceVersion ?? '';
        if (this.warnedAt.get(name) === rv) return;
        this.warnedAt.set(name, rv);
        this.opts.logger?.warn({ node: name, reason: r.reason }, 'node ignored');
        await this.opts.events.warning(
          { kind: 'Node', apiVersion: 'v1', name, uid: node.metadata?.uid, resourceVersion: rv },
          INVALID_NODE_REASON,
          `eni-ipamd cannot serve this node: ${r.reason}`,
        );
        return;
      }
      const json = JSON.stringify(r.facts);
      if (this.delivered.get(name) === json) return;
      try {
        await this.opts.lifecycle.nodeAppeared(name, r.facts);
        this.delivered.set(name, json);
      } catch (err) {
        this.opts.logger?.error({ node: name, err }, 'nodeAppeared failed; retried at the next resync');
      }
    });
  }

  private gone(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    void this.queue.run(name, async () => {
      this.warnedAt.delete(name);
      const wasDelivered = this.delivered.delete(name);
      if (!wasDelivered && !nodeFacts(node).ok) return; // never ours
      await this.callDeleted(name);
    });
  }

  private deleted(name: string): void {
    void this.queue.run(name, () => this.callDeleted(name));
  }

  private async callDeleted(name: string): Promise<void> {
    try {
      await this.opts.lifecycle.nodeDeleted(name);
      this.failedDeletes.delete(name);
    } catch (err) {
      this.failedDeletes.add(name);
      this.opts.logger?.error({ node: name, err }, 'nodeDeleted failed; retried at the next resync');
    }
  }
}
