/**
 * The workload: pod creates and deletes through the ipamd HTTP API, as node agents send them
 * (each node's own bearer token; any replica, followers forward). A failed or unanswered ADD is
 * followed by DELETEs until one is answered 204, as the kubelet does after a failed CNI ADD.
 *
 * Three modes: shared (a secondary IP), exclusive (a whole ENI), and static: StatefulSet pods
 * `db-<k>` with claim policy Never, which come back under the same name (on any node) after they
 * are deleted and must get the same address. Each pod is a Kubernetes object first (created
 * before its ADD, deleted after its DEL), as the scheduler and kubelet order it.
 */
import { randomInt } from 'node:crypto';
import type { History } from './checker.js';

/** The pods' Kubernetes objects (the fake apiserver the replicas watch). */
export interface PodObjects {
  /** Creates the pod on `node`; returns its uid. */
  create(pod: { name: string; node: string; mode: 'shared' | 'exclusive'; statefulSet?: string }): string;
  delete(name: string): void;
}

export const NAMESPACE = 'chaos';
/** The StatefulSet whose pods are the static ones. */
export const STATIC_SET = 'db';

type Held = { containerId: string; mode: 'shared' | 'exclusive' };

export interface WorkloadOptions {
  nodes: readonly string[];
  tokenOf: (node: string) => string;
  /** URLs of the replicas that are up now (any of them may die under the request). */
  urls: () => string[];
  history: History;
  concurrency: number;
  /** Stop after this many answered operations. */
  operations: number;
  onAck: (at: number) => void;
  /** Also keep going until this holds (the quick run: until every fault kind was injected). */
  until?: () => boolean;
  pods: PodObjects;
  /** Static pod names (`db-0` .. `db-<n-1>`). */
  staticPods: number;
  /** Between creating a static pod's object and its ADD (the scheduler and kubelet's delay). */
  staticDelayMs?: number;
}

export interface WorkloadStats {
  operations: number;
  allocations: number;
  releases: number;
  refused: number;
  failedAttempts: number;
  unanswered: number;
  /** Allocations of static pods acknowledged. */
  staticAllocations: number;
  /** Whole ENIs handed to exclusive pods (acknowledged). */
  exclusiveAllocations: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REQUEST_TIMEOUT_MS = 15_000;

export class Workload {
  readonly stats: WorkloadStats = {
    operations: 0,
    allocations: 0,
    releases: 0,
    refused: 0,
    failedAttempts: 0,
    unanswered: 0,
    staticAllocations: 0,
    exclusiveAllocations: 0,
  };
  private seq = 0;
  private stopped = false;
  /** Pods each node holds now (acknowledged, not being deleted). */
  private readonly pods = new Map<string, Held[]>();
  /** Containers whose ADD was not acknowledged: deleted at the end whatever happened. */
  readonly uncertain = new Set<string>();
  /** Container id -> its pod object, until the pod is deleted (after its DEL). */
  private readonly objects = new Map<string, { name: string; staticName?: string }>();
  /** Static names with no pod now (free to come back). */
  private readonly freeStatic: string[];

  constructor(private readonly o: WorkloadOptions) {
    for (const n of o.nodes) this.pods.set(n, []);
    this.freeStatic = Array.from({ length: o.staticPods }, (_, k) => `${STATIC_SET}-${k}`);
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.o.concurrency }, () => this.worker()));
  }

  private get done(): boolean {
    return this.stopped || (this.stats.operations >= this.o.operations && (this.o.until?.() ?? true));
  }

  private async worker(): Promise<void> {
    while (!this.done) {
      const node = this.o.nodes[randomInt(this.o.nodes.length)] as string;
      const held = this.pods.get(node) ?? [];
      if (held.length > 12 || (held.length > 0 && randomInt(100) < 45)) {
        const pod = held.splice(randomInt(held.length), 1)[0];
        if (pod) await this.release(node, pod.containerId);
      } else {
        const exclusiveHeld = held.filter((p) => p.mode === 'exclusive').length;
        const mode = exclusiveHeld === 0 && randomInt(100) < 15 ? 'exclusive' : 'shared';
        const staticName =
          mode === 'shared' && this.freeStatic.length > 0 && randomInt(100) < 20
            ? this.freeStatic.splice(randomInt(this.freeStatic.length), 1)[0]
            : undefined;
        await this.allocate(node, mode, staticName);
      }
    }
  }

  private async call(
    method: string,
    node: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown } | undefined> {
    const urls = this.o.urls();
    const url = urls[randomInt(Math.max(urls.length, 1))];
    if (!url) {
      await sleep(200);
      return undefined;
    }
    try {
      const res = await fetch(`${url}/v1/nodes/${node}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.o.tokenOf(node)}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    } catch {
      this.stats.unanswered++;
      return undefined;
    }
  }

  private async allocate(node: string, mode: 'shared' | 'exclusive', staticName?: string): Promise<void> {
    const i = ++this.seq;
    const containerId = `ctr-${i}`;
    const name = staticName ?? `pod-${i}`;
    const uid = this.o.pods.create({ name, node, mode, ...(staticName ? { statefulSet: STATIC_SET } : {}) });
    this.objects.set(containerId, { name, ...(staticName ? { staticName } : {}) });
    if (staticName) await sleep(this.o.staticDelayMs ?? 300);
    const body = { pod: { namespace: NAMESPACE, name, uid }, containerId, mode };
    const r = await this.call('POST', node, '/allocations', body);
    if (r?.status === 200) {
      const a = r.json as { ip: string; eniId: string };
      const at = Date.now();
      const staticPod = staticName ? `${NAMESPACE}/${staticName}` : undefined;
      this.o.history.acked({
        node,
        containerId,
        mode,
        ip: a.ip,
        eniId: a.eniId,
        ackedAt: at,
        ...(staticPod ? { staticPod } : {}),
      });
      this.o.onAck(at);
      this.pods.get(node)?.push({ containerId, mode });
      this.stats.allocations++;
      if (staticName) this.stats.staticAllocations++;
      if (mode === 'exclusive') this.stats.exclusiveAllocations++;
      this.stats.operations++;
      return;
    }
    if (r && r.status >= 400 && r.status < 500) {
      this.stats.refused++;
      this.stats.operations++;
    } else this.stats.failedAttempts++;
    // the kubelet's DEL after a failed ADD
    this.uncertain.add(`${node}/${containerId}`);
    await this.release(node, containerId);
  }

  /** DELETE until answered 204 (idempotent: an unknown container is 204 too). */
  async release(node: string, containerId: string): Promise<void> {
    this.o.history.releaseSent(node, containerId, Date.now());
    for (;;) {
      const r = await this.call('DELETE', node, `/allocations/${containerId}`);
      if (r?.status === 204) {
        const at = Date.now();
        this.o.history.releaseAcked(node, containerId, at);
        this.o.onAck(at);
        this.uncertain.delete(`${node}/${containerId}`);
        this.stats.releases++;
        this.stats.operations++;
        this.podGone(containerId);
        return;
      }
      this.stats.failedAttempts++;
      await sleep(200);
    }
  }

  /** The pod object goes after its sandbox (the kubelet's order); a static name is free again. */
  private podGone(containerId: string): void {
    const obj = this.objects.get(containerId);
    if (!obj) return;
    this.objects.delete(containerId);
    this.o.pods.delete(obj.name);
    if (obj.staticName) this.freeStatic.push(obj.staticName);
  }

  /** Deletes every pod still held and every container whose ADD was not acknowledged. */
  async drain(): Promise<void> {
    const all: [string, string][] = [];
    for (const [node, held] of this.pods) for (const p of held.splice(0)) all.push([node, p.containerId]);
    for (const k of this.uncertain) {
      const [node, containerId] = k.split('/') as [string, string];
      all.push([node, containerId]);
    }
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(all.slice(i, i + 8).map(([n, c]) => this.release(n, c)));
    }
  }
}
