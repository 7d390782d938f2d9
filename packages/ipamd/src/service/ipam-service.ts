import {
  type Cause,
  type ClaimPolicy,
  type EventStore,
  IpamError,
  type IpamErrorCode,
  nodePoolSettings,
  nodeStream,
  type PodRef,
  podKey,
  refusalOf,
} from '@eni-ipam/core';
import type { CommandService, NodeOrCrossInput } from './command-service.js';
import { openNodeFeed } from './node-feed.js';
import type { ProjectionHost } from './projection-host.js';
import type * as wire from './wire-types.js';
import { eniViews, nodeSummary, wireAllocation, wireNodeState } from './wire-views.js';

export interface IpamServiceOptions {
  store: EventStore;
  host: ProjectionHost;
  commands: CommandService;
  /**
   * The claim policy a pod asks for (its `vpc-ip-claim-delete-policy` annotation, from the
   * Kubernetes pod cache). The wire request carries only the mode; without this, only pods that
   * already hold a claim (and on-demand nodes) go through the claim path.
   */
  claimPolicyOf?: (node: string, pod: PodRef) => ClaimPolicy | undefined;
  /**
   * Resolves when `claimPolicyOf` can answer for the pod (a new leader's first pod list is in;
   * bounded by the caller). Awaited before a shared allocation is decided.
   */
  podKnown?: (node: string, pod: PodRef) => Promise<void>;
  /** Called when a pod could not get an address (the pool reconciler's wake-up). */
  onPoolExhausted?: (node: string) => void;
  /** Called after a release (the pool may now be above its bounds). */
  onReleased?: (node: string) => void;
  /** Called on each ack (a metric). */
  onAck?: (node: string, revision: number) => void;
  /** How long an allocation waits for a bind it asked for (claimed and on-demand pods). Default 20 s. */
  bindWaitMs?: number;
}

/** Refusal codes that keep their name on the wire; anything else is PoolExhausted (CNI 11: try again). */
const REFUSAL_CODES = new Set<string>(['PoolExhausted', 'NodeDraining', 'ClaimConflict', 'ClaimInOtherSubnet']);

/**
 * ipamd's service behind the HTTP API, over the projection host (reads) and the command
 * service (writes). Allocation is idempotent per container id: a repeat returns the first
 * allocation without appending anything.
 *
 * Acks are kept in memory, not in the log: they are progress reports, frequent and not
 * decisions (an event per ack would grow every node stream by one per feed batch); losing them
 * on a restart only means the agents' next acks re-establish them.
 */
export class IpamServiceImpl implements wire.IpamService {
  private readonly acks = new Map<string, number>();
  private ackCount = 0;

  constructor(private readonly o: IpamServiceOptions) {}

  async hasNode(node: string): Promise<boolean> {
    const s = this.o.host.projection.nodes[node];
    return s?.status === 'active' || s?.status === 'draining';
  }

  async allocate(node: string, req: wire.AllocateRequest, ctx: wire.RequestContext): Promise<wire.Allocation> {
    await this.requireNode(node);
    const { host } = this.o;
    const done = wireAllocation(host, host.node(node), req.containerId);
    if (done) return strip(done);
    const cause: Cause = { containerId: req.containerId, ...(req.pod.uid ? { podUid: req.pod.uid } : {}) };
    void ctx;
    if (req.mode === 'shared') await this.o.podKnown?.(node, req.pod);
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.o.commands.node(this.allocateCommand(node, req), cause);
      const s = host.node(node);
      const a = wireAllocation(host, s, req.containerId);
      if (a) return strip(a);
      // the claim path binds the pod's address first; once bound, decide again
      const key = podKey(req.pod);
      const bind = Object.values(s.intents).find((i) => i.op === 'bind' && i.forPod === key);
      if (!bind) break;
      await host.waitUntil(() => !host.node(node).intents[bind.intentId], this.o.bindWaitMs ?? 20_000);
    }
    this.o.onPoolExhausted?.(node);
    const refusal = refusalOf(host.node(node), req.containerId);
    const code = (refusal && REFUSAL_CODES.has(refusal.code) ? refusal.code : 'PoolExhausted') as IpamErrorCode;
    throw new IpamError(code, refusal?.reason ?? 'no address available yet; retry', {
      node,
      containerId: req.containerId,
    });
  }

  private allocateCommand(node: string, req: wire.AllocateRequest): NodeOrCrossInput {
    const base = { node, pod: req.pod, containerId: req.containerId };
    if (req.mode === 'exclusive') return { ...base, type: 'AssignEni' };
    const config = this.o.host.projection.cluster.config;
    const poolPolicy = config ? nodePoolSettings(config, node).poolPolicy : 'warm';
    const policy = this.o.claimPolicyOf?.(node, req.pod);
    if (poolPolicy === 'on-demand' || policy === 'Never') {
      return { ...base, type: 'AllocateStaticIp', policy: policy ?? 'Immediate', poolPolicy };
    }
    return { ...base, type: 'AllocateIp' };
  }

  async release(node: string, containerId: string, _ctx: wire.RequestContext): Promise<void> {
    const s = this.o.host.node(node);
    const why = 'pod sandbox removed (CNI DEL)';
    const cause: Cause = { containerId };
    if (s.allocations[containerId]) {
      const claimExpiryMs = this.o.host.projection.cluster.config?.claimExpiryMs ?? null;
      await this.o.commands.node({ type: 'ReleaseIp', node, containerId, why, claimExpiryMs }, cause);
    } else if (s.assignments[containerId]) {
      await this.o.commands.node({ type: 'ReturnEni', node, containerId, why }, cause);
    } else {
      return;
    }
    this.o.onReleased?.(node);
  }

  async nodeState(node: string): Promise<wire.NodeState> {
    await this.requireNode(node);
    const { host } = this.o;
    return { revision: host.appliedRevision, ...wireNodeState(host, host.node(node)) };
  }

  async nodeFeed(node: string, from: number, signal: AbortSignal): Promise<AsyncIterable<wire.FeedEvent>> {
    await this.requireNode(node);
    return openNodeFeed({ store: this.o.store, host: this.o.host, stream: nodeStream(node), from, signal });
  }

  async ack(node: string, revision: number, _ctx: wire.RequestContext): Promise<void> {
    await this.requireNode(node);
    this.acks.set(node, Math.max(revision, this.acks.get(node) ?? 0));
    this.ackCount += 1;
    this.o.onAck?.(node, revision);
  }

  /** Acks received since start (for the metric). */
  get acksReceived(): number {
    return this.ackCount;
  }

  async listNodes(): Promise<wire.NodeList> {
    const p = this.o.host.projection;
    const nodes = Object.values(p.nodes)
      .filter((s) => s.status === 'active' || s.status === 'draining')
      .sort((a, b) => (a.node < b.node ? -1 : 1))
      .map((s) => nodeSummary(p, s, this.acks.get(s.node)));
    return { revision: p.revision, nodes };
  }

  async node(node: string): Promise<wire.NodeDetail> {
    await this.requireNode(node);
    const { host } = this.o;
    const p = host.projection;
    const s = host.node(node);
    const { enis, allocations } = wireNodeState(host, s);
    return { ...nodeSummary(p, s, this.acks.get(node)), revision: p.revision, eniList: enis, allocations };
  }

  async enis(): Promise<wire.EniList> {
    const p = this.o.host.projection;
    return { revision: p.revision, enis: eniViews(p) };
  }

  async claims(): Promise<wire.ClaimList> {
    const { host } = this.o;
    const claims = Object.values(host.claims())
      .sort((a, b) => (podKey(a.pod) < podKey(b.pod) ? -1 : 1))
      .map((c): wire.ClaimView => {
        const v: wire.ClaimView = { pod: podKey(c.pod), ip: c.ip, subnetId: c.subnetId, policy: c.policy };
        if (c.state === 'active') v.node = c.node;
        if (c.expiresAt) v.expiresAt = c.expiresAt;
        return v;
      });
    return { revision: host.appliedRevision, claims };
  }

  async health(): Promise<wire.Probe> {
    const failed = this.o.host.failed;
    return failed === undefined ? { ok: true } : { ok: false, checks: { projections: describe(failed) } };
  }

  async ready(): Promise<wire.Probe> {
    const { host } = this.o;
    if (host.failed !== undefined) return { ok: false, checks: { projections: describe(host.failed) } };
    if (!host.ready) return { ok: false, checks: { projections: 'catching up with the log' } };
    return { ok: true };
  }

  private async requireNode(node: string): Promise<void> {
    if (!(await this.hasNode(node))) throw new IpamError('NodeNotFound', `node ${node} is not registered`, { node });
  }
}

const strip = (a: wire.PodAllocation): wire.Allocation => {
  const { containerId: _c, pod: _p, mode: _m, ...rest } = a;
  return rest;
};

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
