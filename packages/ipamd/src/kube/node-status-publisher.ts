import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { kubeFailure } from './kube-error.js';

/** Capacity and allocatable of one extended resource (core's `ResourceAmount`). */
export interface ResourceAmount {
  capacity: number;
  allocatable: number;
}

/** Extended resources by name, such as `tke.cloud.tencent.com/eni-ip`. */
export type ExtendedResources = Readonly<Record<string, ResourceAmount>>;

export interface NodeStatusPublisherOptions {
  core: CoreV1Api;
  /**
   * What a node should advertise, read when the patch is sent (so the latest value wins), for
   * example from core's `nodePoolView(state, zones).resources`. Undefined: nothing to publish.
   */
  resourcesFor: (node: string) => ExtendedResources | undefined;
  /** At most one patch per node per this interval. Default 1000 ms. */
  intervalMs?: number;
  /** Retry delays after a failed patch (409, 429, 5xx, transport). */
  backoff?: Backoff;
  logger?: Logger;
}

interface NodeSlot {
  timer: NodeJS.Timeout | undefined;
  inflight: boolean;
  dirty: boolean;
  lastPatchAt: number;
  attempts: number;
  observed: V1Node | undefined;
}

/** RFC 6901: `/` in a key is `~1`, `~` is `~0`. */
const pointer = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Publishes extended resources on Node `/status` with JSON patches of capacity and allocatable
 * (without a kubelet copying capacity into allocatable, both are patched).
 * - Coalesced per node: the first request goes at once, later ones within `intervalMs` of the
 *   last patch wait for its end and send only the latest values.
 * - Re-asserted: `observe` each Node the informer delivers; when it shows the resources
 *   missing or different (the kubelet zeroes extended resources when it thinks the node was
 *   recreated), a patch is queued.
 * - Failures are retried with backoff; a node that is gone (404) is forgotten.
 */
export class NodeStatusPublisher {
  private readonly slots = new Map<string, NodeSlot>();
  private readonly interval: number;
  private stopped = false;
  private sent = 0;

  constructor(private readonly opts: NodeStatusPublisherOptions) {
    this.interval = opts.intervalMs ?? 1000;
  }

  /** Patches sent successfully so far. */
  get patchCount(): number {
    return this.sent;
  }

  /** Asks for the node's resources to be (re)published. Cheap; call on every change. */
  publish(node: string): void {
    if (this.stopped) return;
    const slot = this.slot(node);
    slot.dirty = true;
    this.schedule(node, slot, Math.max(0, slot.lastPatchAt + this.interval - Date.now()));
  }

  /** Feeds a Node from the informer: remembered, and re-published when it advertises other values. */
  observe(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name || this.stopped) return;
    this.slot(name).observed = node;
    const desired = this.opts.resourcesFor(name);
    if (desired && !advertises(node, desired)) this.publish(name);
  }

  /** The node is gone: drop its pending patch. */
  forget(node: string): void {
    clearTimeout(this.slots.get(node)?.timer);
    this.slots.delete(node);
  }

  stop(): void {
    this.stopped = true;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    this.slots.clear();
  }

  private slot(node: string): NodeSlot {
    let slot = this.slots.get(node);
    if (!slot) {
      slot = { timer: undefined, inflight: false, dirty: false, lastPatchAt: 0, attempts: 0, observed: undefined };
      this.slots.set(node, slot);
    }
    return slot;
  }

  private schedule(node: string, slot: NodeSlot, delayMs: number): void {
    if (slot.timer || slot.inflight) return; // the pending or running patch will read the latest value
    slot.timer = setTimeout(() => void this.flush(node, slot), delayMs);
    slot.timer.unref();
  }

  private async flush(node: string, slot: NodeSlot): Promise<void> {
    slot.timer = undefined;
    slot.dirty = false;
    const desired = this.opts.resourcesFor(node);
    if (!desired || (slot.observed && advertises(slot.observed, desired))) return;
    slot.inflight = true;
    try {
      await this.opts.core.patchNodeStatus(
        { name: node, body: patchOps(slot.observed, desired) },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      this.sent++;
      slot.attempts = 0;
      slot.lastPatchAt = Date.now();
    } catch (err) {
      const f = kubeFailure(err);
      if (f.status === 404) {
        this.opts.logger?.info({ node }, 'node gone; its status is no longer published');
        if (this.slots.get(node) === slot) this.slots.delete(node);
        return;
      }
      slot.attempts++;
      slot.dirty = true;
      const delay = f.retryable
        ? backoffDelay(this.opts.backoff ?? DEFAULT_BACKOFF, slot.attempts)
        : this.interval * 10;
      this.opts.logger?.warn({ node, err: f, retryInMs: delay }, 'node status patch failed');
      slot.lastPatchAt = Date.now() + delay - this.interval;
    } finally {
      slot.inflight = false;
    }
    if (slot.dirty && !this.stopped && this.slots.get(node) === slot) {
      this.schedule(node, slot, Math.max(0, slot.lastPatchAt + this.interval - Date.now()));
    }
  }
}

/** True when the node shows exactly the desired capacity and allocatable of every resource. */
export const advertises = (node: V1Node, desired: ExtendedResources): boolean =>
  Object.entries(desired).every(
    ([name, amount]) =>
      node.status?.capacity?.[name] === String(amount.capacity) &&
      node.status?.allocatable?.[name] === String(amount.allocatable),
  );

/**
 * The JSON patch: `add` of each value (add replaces an existing member). A map missing on the
 * observed node is added first, since a patch cannot add under a parent that does not exist.
 */
export const patchOps = (
  observed: V1Node | undefined,
  desired: ExtendedResources,
): Array<{ op: 'add'; path: string; value: unknown }> => {
  const ops: Array<{ op: 'add'; path: string; value: unknown }> = [];
  if (observed && !observed.status) ops.push({ op: 'add', path: '/status', value: {} });
  for (const field of ['capacity', 'allocatable'] as const) {
    const values = Object.entries(desired).map(([name, a]) => [name, String(a[field])] as const);
    if (observed && !observed.status?.[field]) {
      ops.push({ op: 'add', path: `/status/${field}`, value: Object.fromEntries(values) });
    } else {
      for (const [name, value] of values) ops.push({ op: 'add', path: `/status/${field}/${pointer(name)}`, value });
    }
  }
  return ops;
};
