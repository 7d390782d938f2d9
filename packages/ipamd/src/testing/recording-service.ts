import { api, IpamError, intToIp, ipToInt } from '@eni-ipam/core';
import type { IpamService, RequestContext } from '../api/service.js';

type Method = Exclude<keyof IpamService, 'hasNode'>;

/**
 * A stateful in-memory `IpamService` for API tests. Records every call (method, node, args,
 * context) so tests can assert that a rejected request reached nothing; `failNext` makes the
 * next call of a method throw; `push` appends feed events that open feeds receive live.
 */
export class RecordingIpamService implements IpamService {
  readonly calls: { method: Method; node?: string; args: unknown[]; ctx?: RequestContext }[] = [];
  /** Feeds may not start before this revision (older `from` = 410). */
  compactedBefore = 0;
  private readonly nodes = new Set<string>();
  private readonly allocations = new Map<string, api.PodAllocation & { node: string }>();
  private readonly events: { node: string; event: api.FeedEvent }[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly failures = new Map<Method, IpamError>();
  private revision = 0;
  private nextIp = 10;
  readonly acks = new Map<string, number>();
  /** Feeds currently open (for tests that check a closed client ends its feed). */
  openFeeds = 0;

  constructor(nodes: readonly string[] = []) {
    for (const n of nodes) this.nodes.add(n);
  }

  /** Calls of any method other than `hasNode` (the guard every route may consult). */
  get callCount(): number {
    return this.calls.length;
  }

  failNext(method: Method, error: IpamError): void {
    this.failures.set(method, error);
  }

  /** Appends a feed event for `node` at the next revision and wakes open feeds. */
  push(node: string, make: (revision: number) => api.FeedEvent): api.FeedEvent {
    const event = make(++this.revision);
    this.events.push({ node, event });
    for (const w of this.waiters) w();
    return event;
  }

  async hasNode(node: string): Promise<boolean> {
    return this.nodes.has(node);
  }

  async allocate(node: string, req: api.AllocateRequest, ctx: RequestContext): Promise<api.Allocation> {
    this.record('allocate', node, [req], ctx);
    const existing = this.allocations.get(req.containerId);
    if (existing) return api.AllocationSchema.parse(existing);
    const allocation: api.PodAllocation = {
      ip: intToIp(ipToInt('10.0.0.0') + this.nextIp++),
      eniId: 'eni-aaaa1111',
      eniMac: '20:90:6f:00:00:01',
      gateway: '10.0.0.1',
      subnetCidr: '10.0.0.0/16',
      containerId: req.containerId,
      pod: req.pod,
      mode: req.mode,
    };
    this.allocations.set(req.containerId, { ...allocation, node });
    this.push(node, (revision) => ({ revision, type: 'IpAllocated', allocation }));
    const { containerId: _c, pod: _p, mode: _m, ...wire } = allocation;
    return wire;
  }

  async release(node: string, containerId: string, ctx: RequestContext): Promise<void> {
    this.record('release', node, [containerId], ctx);
    if (this.allocations.delete(containerId)) {
      this.push(node, (revision) => ({ revision, type: 'IpReleased', containerId }));
    }
  }

  async nodeState(node: string): Promise<api.NodeState> {
    this.record('nodeState', node, []);
    const allocations = [...this.allocations.values()].filter((a) => a.node === node).map(({ node: _n, ...a }) => a);
    return { revision: this.revision, enis: [], allocations };
  }

  async nodeFeed(node: string, from: number, signal: AbortSignal): Promise<AsyncIterable<api.FeedEvent>> {
    this.record('nodeFeed', node, [from]);
    if (from < this.compactedBefore) {
      throw new IpamError('RevisionCompacted', `revision ${from} is compacted`, {
        compactedBefore: this.compactedBefore,
        hint: `reload GET /v1/nodes/${node}/state`,
      });
    }
    return this.follow(node, from, signal);
  }

  private async *follow(node: string, from: number, signal: AbortSignal): AsyncGenerator<api.FeedEvent> {
    this.openFeeds++;
    try {
      let seen = from;
      while (!signal.aborted) {
        const next = this.events.find((e) => e.node === node && e.event.revision > seen);
        if (next) {
          seen = next.event.revision;
          yield next.event;
          continue;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.waiters.delete(wake);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          this.waiters.add(wake);
          signal.addEventListener('abort', wake);
        });
      }
    } finally {
      this.openFeeds--;
    }
  }

  async ack(node: string, revision: number, ctx: RequestContext): Promise<void> {
    this.record('ack', node, [revision], ctx);
    this.acks.set(node, revision);
  }

  async listNodes(): Promise<api.NodeList> {
    this.record('listNodes', undefined, []);
    return { revision: this.revision, nodes: [...this.nodes].map((name) => this.summary(name)) };
  }

  async node(node: string): Promise<api.NodeDetail> {
    this.record('node', node, []);
    const state = await this.nodeStateQuiet(node);
    return { ...this.summary(node), revision: state.revision, eniList: state.enis, allocations: state.allocations };
  }

  async enis(): Promise<api.EniList> {
    this.record('enis', undefined, []);
    return { revision: this.revision, enis: [] };
  }

  async claims(): Promise<api.ClaimList> {
    this.record('claims', undefined, []);
    return { revision: this.revision, claims: [] };
  }

  /** Set false to make /readyz fail. */
  isReady = true;

  async health(): Promise<api.Probe> {
    return { ok: true };
  }

  async ready(): Promise<api.Probe> {
    return this.isReady ? { ok: true } : { ok: false, checks: { projections: 'catching up' } };
  }

  private summary(name: string): api.NodeSummary {
    const allocated = [...this.allocations.values()].filter((a) => a.node === name).length;
    return { name, poolPolicy: 'warm', enis: 1, bound: allocated, allocated, capacity: 20, draining: false };
  }

  private async nodeStateQuiet(node: string): Promise<api.NodeState> {
    const before = this.calls.length;
    const s = await this.nodeState(node);
    this.calls.splice(before);
    return s;
  }

  private record(method: Method, node: string | undefined, args: unknown[], ctx?: RequestContext): void {
    this.calls.push({ method, ...(node === undefined ? {} : { node }), args, ...(ctx ? { ctx } : {}) });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }
}
