/**
 * The workload: pod creates and deletes through the ipamd HTTP API, as node agents send them
 * (each node's own bearer token; any replica, followers forward). A failed or unanswered ADD is
 * followed by DELETEs until one is answered 204, as the kubelet does after a failed CNI ADD.
 */
import { randomInt } from 'node:crypto';
import type { History } from './checker.js';

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
}

export interface WorkloadStats {
  operations: number;
  allocations: number;
  releases: number;
  refused: number;
  failedAttempts: number;
  unanswered: number;
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
  };
  private seq = 0;
  private stopped = false;
  /** Pods each node holds now (acknowledged, not being deleted). */
  private readonly pods = new Map<string, { containerId: string; mode: 'shared' | 'exclusive' }[]>();
  /** Containers whose ADD was not acknowledged: deleted at the end whatever happened. */
  readonly uncertain = new Set<string>();

  constructor(private readonly o: WorkloadOptions) {
    for (const n of o.nodes) this.pods.set(n, []);
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
        await this.allocate(node, mode);
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

  private async allocate(node: string, mode: 'shared' | 'exclusive'): Promise<void> {
    const i = ++this.seq;
    const containerId = `ctr-${i}`;
    const body = { pod: { namespace: 'chaos', name: `pod-${i}`, uid: `uid-${i}` }, containerId, mode };
    const r = await this.call('POST', node, '/allocations', body);
    if (r?.status === 200) {
      const a = r.json as { ip: string; eniId: string };
      const at = Date.now();
      this.o.history.acked({ node, containerId, mode, ip: a.ip, eniId: a.eniId, ackedAt: at });
      this.o.onAck(at);
      this.pods.get(node)?.push({ containerId, mode });
      this.stats.allocations++;
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
        return;
      }
      this.stats.failedAttempts++;
      await sleep(200);
    }
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
