import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toPlannerInput } from '../node/planner-view.js';
import { idleClaimedIps, type NodeState } from '../node/state.js';
import { planPool } from '../planner/plan-pool.js';
import type { PoolPolicy } from '../planner/types.js';
import { project } from '../projections/projection.js';
import { Sim } from '../testing/sim.js';
import { checkInvariants } from './invariants.js';

const SUBNETS = [
  { id: 'subnet-aaaa0001', cidr: '10.0.1.0/28' },
  { id: 'subnet-bbbb0002', cidr: '10.0.2.0/29' },
];
/** node-a: shared, warm; node-b: shared, warm or on-demand; node-x: exclusive ENIs, warm. */
const NODES = ['node-a', 'node-b', 'node-x'];
const EXCLUSIVE = 'node-x';
const BASE_LIMITS = { maxEnis: 3, ipsPerEni: 4 };
const SMALL_LIMITS = { maxEnis: 2, ipsPerEni: 3 };

type Step =
  | { k: 'add'; node: number; name: number; kind: 'plain' | 'never' | 'immediate' }
  | { k: 'remove'; pick: number }
  | { k: 'plan'; node: number }
  | { k: 'outcome'; node: number; pick: number; ok: boolean; dup: boolean }
  | { k: 'limits'; node: number; shrink: boolean }
  | { k: 'expire' }
  | { k: 'tick'; ms: number }
  /** A command not from the planner (a buggy or racing controller): the deciders must hold anyway. */
  | {
      k: 'rogue';
      node: number;
      op: 'bind' | 'unbind' | 'create' | 'attach' | 'detach' | 'delete';
      pick: number;
      count: number;
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      node: fc.nat(2),
      name: fc.nat(4),
      kind: fc.constantFrom('plain' as const, 'never' as const, 'immediate' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat(20) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('plan' as const), node: fc.nat(2) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('outcome' as const),
      node: fc.nat(2),
      pick: fc.nat(5),
      ok: fc.boolean(),
      dup: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('limits' as const), node: fc.nat(2), shrink: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1000, max: 300_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('rogue' as const),
      node: fc.nat(2),
      op: fc.constantFrom(
        'bind' as const,
        'unbind' as const,
        'create' as const,
        'attach' as const,
        'detach' as const,
        'delete' as const,
      ),
      pick: fc.nat(10),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

interface Pod {
  node: string;
  containerId: string;
  static: boolean;
  policy: 'Immediate' | 'Never';
}

/** The world of one run: the sim plus the Kubernetes side (which pods exist where). */
class World {
  sim: Sim;
  pods = new Map<string, Pod>();
  private cid = 0;
  constructor(
    readonly policyB: PoolPolicy,
    preBind: { min: number; max: number },
  ) {
    this.sim = new Sim(
      SUBNETS,
      NODES.map((name) => ({ name, limits: BASE_LIMITS })),
      {
        preBind,
        releaseIntervalMs: 60_000,
        claimExpiryMs: 120_000,
        nodeOverrides: { 'node-b': { poolPolicy: policyB } },
      },
    );
  }
  policyOf(node: string): PoolPolicy {
    return node === 'node-b' ? this.policyB : 'warm';
  }
  state(node: string): NodeState {
    return this.sim.nodes[node] as NodeState;
  }
  holds(p: Pod): boolean {
    const s = this.state(p.node);
    return p.node === EXCLUSIVE
      ? s.assignments[p.containerId] !== undefined
      : s.allocations[p.containerId] !== undefined;
  }
  allocate(name: string, p: Pod): void {
    const pod = { namespace: 'default', name };
    if (p.node === EXCLUSIVE) {
      this.sim.node(p.node, { type: 'AssignEni', pod, containerId: p.containerId });
    } else if (p.static) {
      this.sim.node(p.node, {
        type: 'AllocateStaticIp',
        pod,
        containerId: p.containerId,
        policy: p.policy,
        poolPolicy: this.policyOf(p.node),
      });
    } else {
      this.sim.node(p.node, { type: 'AllocateIp', pod, containerId: p.containerId });
    }
  }
  add(node: string, name: string, kind: 'plain' | 'never' | 'immediate'): void {
    const existing = this.pods.get(name);
    if (existing) {
      if (!this.holds(existing)) this.allocate(name, existing); // CNI retry
      return;
    }
    const isStatic = node !== EXCLUSIVE && (kind === 'never' || this.policyOf(node) === 'on-demand');
    this.cid += 1;
    const p: Pod = {
      node,
      containerId: `k${this.cid}`,
      static: isStatic,
      policy: kind === 'never' ? 'Never' : 'Immediate',
    };
    this.pods.set(name, p);
    this.allocate(name, p);
  }
  remove(pick: number): void {
    const names = [...this.pods.keys()].sort();
    if (names.length === 0) return;
    const name = names[pick % names.length] as string;
    const p = this.pods.get(name) as Pod;
    if (!this.holds(p)) return; // still waiting: CNI keeps retrying
    this.pods.delete(name);
    if (p.node === EXCLUSIVE) {
      this.sim.node(p.node, { type: 'ReturnEni', containerId: p.containerId, why: 'pod deleted' });
    } else if (p.static) {
      this.sim.node(p.node, {
        type: 'ReleaseStaticIp',
        containerId: p.containerId,
        why: 'pod deleted',
        claimExpiryMs: 120_000,
      });
    } else {
      this.sim.node(p.node, { type: 'ReleaseIp', containerId: p.containerId, why: 'pod deleted' });
    }
  }
  waiting(node: string): number {
    return [...this.pods.values()].filter((p) => p.node === node && !this.holds(p)).length;
  }
  plan(node: string): number {
    const s = this.state(node);
    for (const x of idleClaimedIps(s)) {
      const owner = this.pods.get(x.reservedFor.split('/')[1] as string);
      if (!owner || owner.node !== node)
        this.sim.node(node, { type: 'RequestIpUnbind', eniId: x.eniId, ips: [x.ip], why: 'claim not used here' });
    }
    const plan = planPool(
      toPlannerInput(this.state(node), {
        config: this.sim.config,
        subnets: this.sim.subnets,
        now: this.sim.now,
        pendingPods: this.waiting(node),
        mode: node === EXCLUSIVE ? 'exclusive' : 'shared',
      }),
    );
    // the plan's paced release is recorded as such, so that pacing survives in the log
    const slow = (a: { paced?: true }) => (a.paced ? { slowRelease: true as const } : {});
    for (const a of plan.actions) {
      const ok =
        a.kind === 'bindIps'
          ? this.sim.node(node, { type: 'BindIps', eniId: a.eniId, count: a.count, why: a.why })
          : a.kind === 'createEni'
            ? this.sim.node(node, { type: 'RequestEniCreate', subnetId: a.subnetId, why: a.why })
            : a.kind === 'attachEni'
              ? this.sim.node(node, { type: 'RequestEniAttach', eniId: a.eniId, why: a.why })
              : a.kind === 'unbindIps'
                ? this.sim.node(node, {
                    type: 'RequestIpUnbind',
                    eniId: a.eniId,
                    ips: [...a.ips],
                    why: a.why,
                    ...slow(a),
                  })
                : a.kind === 'detachEni'
                  ? this.sim.node(node, { type: 'RequestEniDetach', eniId: a.eniId, why: a.why, ...slow(a) })
                  : this.sim.node(node, { type: 'RequestEniDelete', eniId: a.eniId, why: a.why });
      if (!ok) break;
    }
    // a slow release not yet due is pending work too
    return plan.actions.length + (plan.nextReleaseAt === undefined ? 0 : 1);
  }
  outcome(node: string, pick: number, ok: boolean, dup: boolean): void {
    const intents = Object.values(this.state(node).intents).sort((a, b) => (a.intentId < b.intentId ? -1 : 1));
    const i = intents[pick % Math.max(1, intents.length)];
    if (!i) return;
    let c: Record<string, unknown>;
    const fail = { errorCode: 'CloudPermanent', message: 'simulated failure' };
    if (i.op === 'create') {
      const primaryIp = ok ? this.sim.cloudPrimaryIp(i.subnetId as string) : undefined;
      if (primaryIp) {
        const eniId = this.sim.nextEniId();
        c = { type: 'RecordEniCreated', intentId: i.intentId, eniId, primaryIp, mac: this.sim.macFor(eniId) };
      } else c = { type: 'RecordEniOperationFailed', intentId: i.intentId, ...fail };
    } else if (i.op === 'bind')
      c = ok
        ? { type: 'RecordIpsBound', intentId: i.intentId }
        : { type: 'RecordIpBindFailed', intentId: i.intentId, ...fail };
    else if (i.op === 'unbind')
      c = ok
        ? { type: 'RecordIpsUnbound', intentId: i.intentId }
        : { type: 'RecordIpUnbindFailed', intentId: i.intentId, ...fail };
    else {
      const rec = { attach: 'RecordEniAttached', detach: 'RecordEniDetached', delete: 'RecordEniDeleted' }[i.op];
      c = ok
        ? { type: rec, intentId: i.intentId }
        : { type: 'RecordEniOperationFailed', intentId: i.intentId, ...fail };
    }
    const d = this.sim.node(node, c);
    if (d && c.type === 'RecordEniCreated' && this.policyOf(node) === 'on-demand') {
      this.sim.subnet({ type: 'ReserveQuota', subnetId: i.subnetId as string, node, count: BASE_LIMITS.ipsPerEni - 1 });
    }
    // at-least-once delivery: the same outcome again is harmless
    if (dup) expect(this.sim.node(node, c)).toEqual({ node: [] });
  }
  run(s: Step): void {
    switch (s.k) {
      case 'add':
        this.add(NODES[s.node] as string, `p${s.name}`, s.kind);
        return;
      case 'remove':
        this.remove(s.pick);
        return;
      case 'plan':
        this.plan(NODES[s.node] as string);
        return;
      case 'outcome':
        this.outcome(NODES[s.node] as string, s.pick, s.ok, s.dup);
        return;
      case 'limits':
        this.sim.node(NODES[s.node] as string, {
          type: 'ChangeNodeLimits',
          limits: s.shrink ? SMALL_LIMITS : BASE_LIMITS,
        });
        return;
      case 'expire':
        for (const sub of SUBNETS) this.sim.subnet({ type: 'ExpireClaims', subnetId: sub.id });
        return;
      case 'tick':
        this.sim.now += s.ms;
        return;
      case 'rogue':
        this.rogue(NODES[s.node] as string, s.op, s.pick, s.count);
        return;
    }
  }
  rogue(node: string, op: string, pick: number, count: number): void {
    const enis = Object.values(this.state(node).enis).sort((a, b) => (a.eniId < b.eniId ? -1 : 1));
    const eni = enis[pick % Math.max(1, enis.length)];
    const why = 'rogue';
    if (op === 'create') {
      this.sim.node(node, { type: 'RequestEniCreate', subnetId: SUBNETS[pick % 2]?.id, why });
      return;
    }
    if (!eni || (op === 'bind' && node === EXCLUSIVE)) return; // ipamd never binds IPs on exclusive ENIs
    const ips = Object.keys(eni.ips).sort();
    const byOp: Record<string, Record<string, unknown>> = {
      bind: { type: 'BindIps', eniId: eni.eniId, count, why },
      unbind: {
        type: 'RequestIpUnbind',
        eniId: eni.eniId,
        ips: ips.slice(0, count).length ? ips.slice(0, count) : ['10.0.1.2'],
        why,
      },
      attach: { type: 'RequestEniAttach', eniId: eni.eniId, why },
      detach: { type: 'RequestEniDetach', eniId: eni.eniId, why },
      delete: { type: 'RequestEniDelete', eniId: eni.eniId, why },
    };
    this.sim.node(node, byOp[op] as Record<string, unknown>);
  }
  /** Resolves every intent successfully, retries waiting pods and plans, until at rest. */
  settle(maxRounds: number): boolean {
    let quiet = false;
    for (let round = 0; round < maxRounds && !quiet; round++) {
      quiet = true;
      for (const n of NODES) {
        for (const i of Object.keys(this.state(n).intents)) {
          quiet = false;
          this.outcome(n, Object.keys(this.state(n).intents).sort().indexOf(i), true, false);
        }
        for (const [name, p] of this.pods) if (p.node === n && !this.holds(p)) this.allocate(name, p);
        if (this.plan(n) > 0) quiet = false;
      }
      this.sim.now += 60_000;
    }
    return quiet;
  }
  invariants(withBounds = false) {
    return checkInvariants({
      nodes: Object.values(this.sim.nodes),
      subnets: Object.values(this.sim.subnets),
      ...(withBounds
        ? {
            config: this.sim.config,
            modes: { [EXCLUSIVE]: 'exclusive' as const },
            pendingPods: Object.fromEntries(NODES.map((n) => [n, this.waiting(n)])),
          }
        : {}),
    });
  }
}

const scenario = fc.record({
  policyB: fc.constantFrom<PoolPolicy>('warm', 'on-demand'),
  preBind: fc
    .integer({ min: 0, max: 3 })
    .chain((min) => fc.record({ min: fc.constant(min), max: fc.integer({ min, max: min + 3 }) })),
  steps: fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }),
});

describe('random interleavings of commands (fast-check)', () => {
  it('never violate invariants 1, 2, 3 and 7; every event decodes; replaying the log gives the same state', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), ({ policyB, preBind, steps }, warm) => {
        const w = new World(policyB, preBind);
        if (warm) w.settle(10); // start from a filled pool, so that deep states are reached
        for (const s of steps) {
          w.run(s);
          expect(w.invariants(), JSON.stringify(s)).toEqual([]);
        }
        const replayed = project(w.sim.log);
        expect(replayed.nodes).toEqual(w.sim.nodes);
        expect(replayed.subnets).toEqual(w.sim.subnets);
        expect(replayed.cluster.config).toEqual(w.sim.config);
      }),
      { numRuns: 1000 },
    );
  });

  it('then, with every cloud call succeeding, the planner brings each node to rest inside its bounds (invariant 8)', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), ({ policyB, preBind, steps }, warm) => {
        const w = new World(policyB, preBind);
        if (warm) w.settle(10);
        for (const s of steps) w.run(s);
        for (const n of NODES) w.sim.node(n, { type: 'ChangeNodeLimits', limits: BASE_LIMITS });
        const quiet = w.settle(60);
        expect(quiet, 'reached rest').toBe(true);
        expect(
          w.invariants(true),
          JSON.stringify(
            Object.values(w.sim.nodes).map((n) => [
              n.node,
              n.limits,
              Object.keys(n.allocations).length,
              Object.values(n.enis).map((e) => [e.eniId, e.state, Object.keys(e.ips).length]),
            ]),
          ),
        ).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
