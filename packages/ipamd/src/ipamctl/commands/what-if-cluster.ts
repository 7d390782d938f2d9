import {
  type ClusterConfig,
  type CrossCommand,
  decideCross,
  evolveNode,
  evolveSubnet,
  initialNodeState,
  initialSubnetState,
  isIpamError,
  type NodeCommand,
  type NodeEvent,
  type NodeState,
  type PoolMode,
  parseCidr,
  planPool,
  type SubnetEvent,
  type SubnetState,
  toPlannerInput,
  usableAddresses,
} from '@eni-ipam/core';

/** What a replayed cluster did: the figures `what-if` compares. */
export interface ChurnFigures {
  /** Intents (cloud calls) decided: creates, attaches, detaches, deletes, binds, unbinds. */
  cloudCalls: number;
  /** Most secondary IPs bound at once, cluster-wide. */
  peakBound: number;
  /** Pods (container ids) that were refused an address at least once: they waited. */
  podsWaited: number;
}

/** Folds the figures of a sequence of node events (the recorded log's or a replay's). */
export class FigureCounter {
  private bound = 0;
  private readonly waited = new Set<string>();
  readonly figures: ChurnFigures = { cloudCalls: 0, peakBound: 0, podsWaited: 0 };

  add(node: string, e: { type: string; data: unknown }): void {
    const d = e.data as { ips?: readonly string[]; containerId?: string };
    if (e.type.endsWith('Requested')) this.figures.cloudCalls += 1;
    else if (e.type === 'IpsBound') this.bound += d.ips?.length ?? 0;
    else if (e.type === 'IpsUnbound' || e.type === 'IpsLost') this.bound -= d.ips?.length ?? 0;
    else if (e.type === 'AllocationRefused') this.waited.add(`${node}/${d.containerId}`);
    this.figures.peakBound = Math.max(this.figures.peakBound, this.bound);
    this.figures.podsWaited = this.waited.size;
  }
}

/**
 * A cluster replayed through core's deciders and planner with an instantaneous cloud: every
 * intent succeeds at once (the VPC picks the lowest free address as an ENI's primary IP, as the
 * simulator does). The recorded pods arrive and leave at their recorded times; after each, the
 * pool is settled (outcomes recorded, waiting pods retried, planner run) until quiet.
 */
export class WhatIfCluster {
  nodes: Record<string, NodeState> = {};
  subnets: Record<string, SubnetState> = {};
  config: ClusterConfig | undefined;
  now = 0;
  readonly counter = new FigureCounter();
  /** Pods waiting for an address, by node: container id -> pod. */
  private readonly waiting = new Map<string, Map<string, { namespace: string; name: string }>>();
  private n = 0;
  private eniSeq = 0;

  constructor(
    private readonly modes: Readonly<Record<string, PoolMode>>,
    private readonly preBind: { min: number; max: number },
  ) {}

  /** The recorded configuration, with the bounds under test in force everywhere. */
  setConfig(c: ClusterConfig): void {
    const overrides = Object.fromEntries(
      Object.entries(c.nodeOverrides).map(([k, o]) => [k, { ...o, ...(o.preBind ? { preBind: this.preBind } : {}) }]),
    );
    this.config = { ...c, preBind: this.preBind, nodeOverrides: overrides };
  }

  /** Facts not decided by the pool (a node joined, its limits changed, a subnet registered). */
  applyNodeFact(node: string, e: NodeEvent & { at: string }): void {
    this.nodes[node] = evolveNode(this.nodes[node] ?? initialNodeState(), e);
  }

  applySubnetFact(id: string, e: SubnetEvent): void {
    this.subnets[id] = evolveSubnet(this.subnets[id] ?? initialSubnetState(), e);
  }

  podArrived(node: string, pod: { namespace: string; name: string }, containerId: string): void {
    const exclusive = this.modes[node] === 'exclusive';
    this.run(node, exclusive ? { type: 'AssignEni', pod, containerId } : { type: 'AllocateIp', pod, containerId });
    const s = this.nodes[node];
    const got = exclusive ? s?.assignments[containerId] : s?.allocations[containerId];
    if (!got) this.waitingOn(node).set(containerId, pod);
    this.settle();
  }

  podLeft(node: string, containerId: string): void {
    if (this.waitingOn(node).delete(containerId)) return; // it never got an address here
    const exclusive = this.modes[node] === 'exclusive';
    this.run(node, { type: exclusive ? 'ReturnEni' : 'ReleaseIp', containerId, why: 'pod deleted (replay)' });
    this.settle();
  }

  private waitingOn(node: string) {
    let m = this.waiting.get(node);
    if (!m) {
      m = new Map();
      this.waiting.set(node, m);
    }
    return m;
  }

  /** Runs one node command; a refused command (IpamError) decides nothing. */
  private run(node: string, c: Record<string, unknown>): boolean {
    this.n += 1;
    const cmd = {
      id: `w${this.n}`,
      at: new Date(this.now).toISOString(),
      by: { replica: 'what-if', term: 1 },
      node,
      ...c,
    };
    const before = this.nodes[node] ?? initialNodeState();
    let d: ReturnType<typeof decideCross>;
    try {
      d = decideCross(cmd as CrossCommand | NodeCommand, before, this.subnets);
    } catch (e) {
      if (isIpamError(e)) return false;
      throw e;
    }
    const at = cmd.at;
    let s = before;
    for (const e of d.node) {
      s = evolveNode(s, { ...e, at });
      this.counter.add(node, e);
    }
    this.nodes[node] = s;
    if (d.subnet) {
      const id = d.subnet.subnetId;
      this.subnets[id] = d.subnet.events.reduce(evolveSubnet, this.subnets[id] ?? initialSubnetState());
    }
    return d.node.length > 0 || d.subnet !== undefined;
  }

  /** Resolves intents, retries waiting pods, plans; until nothing changes (bounded). */
  settle(maxRounds = 50): void {
    for (let round = 0; round < maxRounds; round++) {
      let changed = false;
      for (const node of Object.keys(this.nodes).sort()) {
        if (this.nodes[node]?.status !== 'active') continue;
        for (const i of Object.values(this.nodes[node]?.intents ?? {})) changed = this.succeed(node, i) || changed;
        const waiting = this.waitingOn(node);
        for (const [cid, pod] of [...waiting]) {
          const exclusive = this.modes[node] === 'exclusive';
          this.run(
            node,
            exclusive ? { type: 'AssignEni', pod, containerId: cid } : { type: 'AllocateIp', pod, containerId: cid },
          );
          const s = this.nodes[node];
          if (exclusive ? s?.assignments[cid] : s?.allocations[cid]) {
            waiting.delete(cid);
            changed = true;
          }
        }
        changed = this.plan(node) || changed;
      }
      if (!changed) return;
    }
  }

  private succeed(node: string, i: NodeState['intents'][string]): boolean {
    if (i.op === 'create') {
      const primaryIp = this.freeAddress(i.subnetId as string);
      if (!primaryIp)
        return this.run(node, {
          type: 'RecordEniOperationFailed',
          intentId: i.intentId,
          errorCode: 'CloudCapacity',
          message: 'subnet full',
        });
      this.eniSeq += 1;
      const eniId = `eni-${this.eniSeq.toString(36).padStart(8, '0')}`;
      const mac = `52:54:00:${[16, 8, 0].map((b) => ((this.eniSeq >> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
      return this.run(node, { type: 'RecordEniCreated', intentId: i.intentId, eniId, primaryIp, mac });
    }
    const rec = {
      bind: 'RecordIpsBound',
      unbind: 'RecordIpsUnbound',
      attach: 'RecordEniAttached',
      detach: 'RecordEniDetached',
      delete: 'RecordEniDeleted',
    }[i.op];
    return this.run(node, { type: rec, intentId: i.intentId });
  }

  private freeAddress(subnetId: string): string | undefined {
    const s = this.subnets[subnetId];
    if (!s) return undefined;
    const claimed = new Set(Object.values(s.claims).map((c) => c.ip));
    for (const ip of usableAddresses(parseCidr(s.cidr))) if (!s.addresses[ip] && !claimed.has(ip)) return ip;
    return undefined;
  }

  private plan(node: string): boolean {
    const s = this.nodes[node];
    if (!s || !this.config) return false;
    const plan = planPool(
      toPlannerInput(s, {
        config: this.config,
        subnets: this.subnets,
        now: this.now,
        pendingPods: this.waitingOn(node).size,
        mode: this.modes[node] ?? 'shared',
      }),
    );
    const slow = plan.slowReleaseAt === undefined ? {} : { slowRelease: true };
    let changed = false;
    for (const a of plan.actions) {
      const c =
        a.kind === 'bindIps'
          ? { type: 'BindIps', eniId: a.eniId, count: a.count, why: a.why }
          : a.kind === 'createEni'
            ? { type: 'RequestEniCreate', subnetId: a.subnetId, why: a.why }
            : a.kind === 'attachEni'
              ? { type: 'RequestEniAttach', eniId: a.eniId, why: a.why }
              : a.kind === 'unbindIps'
                ? { type: 'RequestIpUnbind', eniId: a.eniId, ips: [...a.ips], why: a.why, ...slow }
                : a.kind === 'detachEni'
                  ? { type: 'RequestEniDetach', eniId: a.eniId, why: a.why, ...slow }
                  : { type: 'RequestEniDelete', eniId: a.eniId, why: a.why };
      if (!this.run(node, c)) break;
      changed = true;
    }
    return changed;
  }
}
