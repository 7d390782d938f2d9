/**
 * Test logs for ipamctl, produced by core's deciders and planner through core's `Sim` (every
 * event decoded as a reader would), and written into an `EventStore` one append per decision.
 */
import type { ClusterConfig, EventEnvelope, EventStore, NodeState, StreamAppend } from '@eni-ipam/core';
import { planPool, toPlannerInput } from '@eni-ipam/core';
import { Sim } from '@eni-ipam/core/testing';

export const CHURN_SUBNET = 'subnet-aaaa0001';

export class Churn {
  readonly sim: Sim;
  private cid = 0;
  /** Container ids of live pods by `node/name`. */
  readonly pods = new Map<string, string>();

  constructor(
    config: Partial<ClusterConfig> = {},
    nodes: readonly string[] = ['node-a'],
    limits = { maxEnis: 4, ipsPerEni: 6 },
  ) {
    this.sim = new Sim(
      [{ id: CHURN_SUBNET, cidr: '10.0.1.0/26' }],
      nodes.map((name) => ({ name, limits })),
      { preBind: { min: 0, max: 0 }, releaseIntervalMs: 3_600_000, ...config },
    );
  }

  state(node: string): NodeState {
    return this.sim.nodes[node] as NodeState;
  }

  /** A pod arrives: allocate; if refused, settle the pool (instant cloud) and retry once. */
  add(node: string, name: string): string | undefined {
    this.cid += 1;
    const containerId = `k${this.cid}`;
    const pod = { namespace: 'default', name };
    this.sim.node(node, { type: 'AllocateIp', pod, containerId });
    if (!this.state(node).allocations[containerId]) {
      this.settle(node, 1);
      this.sim.node(node, { type: 'AllocateIp', pod, containerId });
    }
    const a = this.state(node).allocations[containerId];
    if (a) this.pods.set(`${node}/${name}`, containerId);
    return a?.ip;
  }

  /** A pod leaves: release; with `settle`, the pool controller runs after it (as ipamd's does). */
  remove(node: string, name: string, settle = false): void {
    const containerId = this.pods.get(`${node}/${name}`);
    if (!containerId) return;
    this.pods.delete(`${node}/${name}`);
    this.sim.node(node, { type: 'ReleaseIp', containerId, why: 'pod deleted' });
    if (settle) this.settle(node);
  }

  /** Every intent succeeds, the planner runs (counting `pendingPods` waiting), until nothing is left to do. */
  settle(node: string, pendingPods = 0, rounds = 20): void {
    for (let r = 0; r < rounds; r++) {
      const intents = Object.values(this.state(node).intents);
      for (const i of intents) {
        if (i.op === 'create') {
          const eniId = this.sim.nextEniId();
          const primaryIp = this.sim.cloudPrimaryIp(i.subnetId as string);
          this.sim.node(node, {
            type: 'RecordEniCreated',
            intentId: i.intentId,
            eniId,
            primaryIp,
            mac: this.sim.macFor(eniId),
          });
        } else {
          const rec = {
            bind: 'RecordIpsBound',
            unbind: 'RecordIpsUnbound',
            attach: 'RecordEniAttached',
            detach: 'RecordEniDetached',
            delete: 'RecordEniDeleted',
          }[i.op];
          this.sim.node(node, { type: rec, intentId: i.intentId });
        }
      }
      const plan = planPool(
        toPlannerInput(this.state(node), {
          config: this.sim.config,
          subnets: this.sim.subnets,
          now: this.sim.now,
          pendingPods,
        }),
      );
      for (const a of plan.actions) {
        if (a.kind === 'bindIps') this.sim.node(node, { type: 'BindIps', eniId: a.eniId, count: a.count, why: a.why });
        else if (a.kind === 'createEni')
          this.sim.node(node, { type: 'RequestEniCreate', subnetId: a.subnetId, why: a.why });
        else if (a.kind === 'attachEni') this.sim.node(node, { type: 'RequestEniAttach', eniId: a.eniId, why: a.why });
        else if (a.kind === 'unbindIps')
          this.sim.node(node, {
            type: 'RequestIpUnbind',
            eniId: a.eniId,
            ips: [...a.ips],
            why: a.why,
            slowRelease: true,
          });
        else if (a.kind === 'detachEni') this.sim.node(node, { type: 'RequestEniDetach', eniId: a.eniId, why: a.why });
        else this.sim.node(node, { type: 'RequestEniDelete', eniId: a.eniId, why: a.why });
      }
      if (intents.length === 0 && plan.actions.length === 0) return;
    }
  }
}

/** The log as the store would hold it: one append per decision (the Sim's revision), in order. */
export const appendsOf = (log: Sim['log']): StreamAppend[][] => {
  const byRevision = new Map<number, EventEnvelope[]>();
  for (const { revision, ...e } of log) {
    const list = byRevision.get(revision ?? 0) ?? [];
    list.push(e as EventEnvelope);
    byRevision.set(revision ?? 0, list);
  }
  return [...byRevision.values()].map((events) => {
    const streams = new Map<string, EventEnvelope[]>();
    for (const e of events) streams.set(e.stream, [...(streams.get(e.stream) ?? []), e]);
    return [...streams].map(([stream, es]) => ({ stream, expectedVersion: (es[0]?.seq ?? 1) - 1, events: es }));
  });
};

/** Writes a Sim's log into a store (an empty one), one append per decision. */
export const writeLog = async (store: EventStore, log: Sim['log']): Promise<void> => {
  for (const a of appendsOf(log)) await store.append(a);
};

/**
 * The scenario the tests share: pod p1 gets an address, leaves, and pod p2 gets the same
 * address (bounds 0..0 and a long release interval: the address stays bound, idle, in between).
 */
export const handOverScenario = () => {
  const c = new Churn();
  const ip1 = c.add('node-a', 'p1');
  c.sim.now += 60_000;
  c.remove('node-a', 'p1');
  c.sim.now += 60_000;
  const ip2 = c.add('node-a', 'p2');
  return { churn: c, ip: ip1 as string, sameIp: ip1 === ip2 };
};
