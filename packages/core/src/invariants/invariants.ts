import { nodePoolSettings } from '../cluster/cluster.js';
import type { ClusterConfig } from '../events/cluster-events.js';
import type { NodeState } from '../node/state.js';
import { eniCount, usedSlots } from '../node/state.js';
import { maxBindableIps } from '../planner/limits.js';
import { availableFor, type SubnetState } from '../subnet/state.js';
import { podKey } from '../values/pod.js';

/** A broken invariant of DESIGN section 6. */
export interface Violation {
  invariant: 1 | 2 | 3 | 7 | 8;
  message: string;
  /** What it is about: `ip/<addr>`, `node/<name>`, `eni/<id>`, `claim/<ns>/<name>`. */
  subject: string;
}

export interface InvariantInput {
  nodes: readonly NodeState[];
  subnets: readonly SubnetState[];
  /** Needed for invariant 8 (bounds); without it 8 is not checked. */
  config?: ClusterConfig;
}

const live = (n: NodeState) => n.status === 'active' || n.status === 'draining';

/** 1. No IP is held by two live pods at once (nor an exclusive ENI by two pods). */
const noDoubleHolding = (nodes: readonly NodeState[]): Violation[] => {
  const out: Violation[] = [];
  const holders = new Map<string, string[]>();
  const eniHolders = new Map<string, string[]>();
  for (const n of nodes.filter(live)) {
    for (const a of Object.values(n.allocations))
      holders.set(a.ip, [...(holders.get(a.ip) ?? []), `${podKey(a.pod)}@${n.node}`]);
    for (const a of Object.values(n.assignments))
      eniHolders.set(a.eniId, [...(eniHolders.get(a.eniId) ?? []), podKey(a.pod)]);
  }
  for (const [ip, who] of holders) {
    if (who.length > 1) out.push({ invariant: 1, subject: `ip/${ip}`, message: `${ip} is held by ${who.join(', ')}` });
  }
  for (const [eni, who] of eniHolders) {
    if (who.length > 1)
      out.push({ invariant: 1, subject: `eni/${eni}`, message: `${eni} is assigned to ${who.join(', ')}` });
  }
  return out;
};

/** 2. Every allocated IP is bound to an ENI attached to the pod's node (and its subnet agrees). */
const allocatedIsBound = (nodes: readonly NodeState[], subnets: readonly SubnetState[]): Violation[] => {
  const out: Violation[] = [];
  const bySubnet = new Map(subnets.map((s) => [s.subnetId, s]));
  for (const n of nodes.filter(live)) {
    for (const a of Object.values(n.allocations)) {
      const eni = n.enis[a.eniId];
      const ip = eni?.ips[a.ip];
      const v = (message: string) => out.push({ invariant: 2, subject: `ip/${a.ip}`, message });
      if (!eni || eni.state !== 'attached')
        v(`${a.ip} of ${podKey(a.pod)} is on ENI ${a.eniId}, which is not attached to ${n.node}`);
      else if (ip?.status !== 'bound') v(`${a.ip} of ${podKey(a.pod)} is ${ip?.status ?? 'not'} bound on ${a.eniId}`);
      else {
        const s = bySubnet.get(eni.subnetId);
        const addr = s?.addresses[a.ip];
        if (s && (addr?.status !== 'bound' || addr.eniId !== a.eniId || addr.node !== n.node)) {
          v(
            `${a.ip} of ${podKey(a.pod)}: subnet ${s.subnetId} says ${addr ? `${addr.status} on ${addr.eniId}` : 'free'}`,
          );
        }
      }
    }
    for (const a of Object.values(n.assignments)) {
      if (n.enis[a.eniId]?.state !== 'attached') {
        out.push({
          invariant: 2,
          subject: `eni/${a.eniId}`,
          message: `${a.eniId} of ${podKey(a.pod)} is not attached to ${n.node}`,
        });
      }
    }
  }
  return out;
};

/**
 * 3. Per ENI, secondary IPs <= IPs per ENI - 1 (the primary IP takes a slot); per node,
 * ENIs (primary included, creations in flight counted) <= max ENIs. After the limits shrank,
 * the excess is tolerated up to the limits it was taken under while it is being trimmed.
 */
const withinLimits = (nodes: readonly NodeState[]): Violation[] => {
  const out: Violation[] = [];
  for (const n of nodes.filter(live)) {
    const l = n.graceLimits ?? n.limits;
    if (eniCount(n) > l.maxEnis) {
      out.push({
        invariant: 3,
        subject: `node/${n.node}`,
        message: `${n.node} has ${eniCount(n)} ENIs, max ${l.maxEnis}`,
      });
    }
    for (const e of Object.values(n.enis)) {
      if (usedSlots(e) > l.ipsPerEni - 1) {
        out.push({
          invariant: 3,
          subject: `eni/${e.eniId}`,
          message: `${e.eniId} has ${usedSlots(e)} secondary IPs, max ${l.ipsPerEni - 1}`,
        });
      }
    }
  }
  return out;
};

/** 7. A static claim gives the same pod name the same IP; a claimed IP goes to no other pod. */
const claimsHold = (nodes: readonly NodeState[], subnets: readonly SubnetState[]): Violation[] => {
  const out: Violation[] = [];
  const claims = new Map(subnets.flatMap((s) => Object.entries(s.claims)));
  const claimedIps = new Map([...claims].map(([k, c]) => [c.ip, k]));
  for (const n of nodes.filter(live)) {
    for (const a of Object.values(n.allocations)) {
      const key = podKey(a.pod);
      const c = claims.get(key);
      if (c && c.ip !== a.ip)
        out.push({ invariant: 7, subject: `claim/${key}`, message: `${key} claims ${c.ip} but holds ${a.ip}` });
      const owner = claimedIps.get(a.ip);
      if (owner !== undefined && owner !== key) {
        out.push({
          invariant: 7,
          subject: `claim/${owner}`,
          message: `${a.ip} is claimed by ${owner} but held by ${key}`,
        });
      }
    }
  }
  return out;
};

/**
 * 8. At rest (no intent in flight, not draining, warm pool), bound IPs are within
 * [pods + min, pods + max], the low end capped at max bindable and waived when the node cannot
 * grow (no ENI with room in a subnet with a free address, and no room or subnet for a new ENI).
 */
const withinBounds = (
  nodes: readonly NodeState[],
  subnets: readonly SubnetState[],
  config: ClusterConfig,
): Violation[] => {
  const out: Violation[] = [];
  for (const n of nodes.filter((x) => x.status === 'active' && Object.keys(x.intents).length === 0)) {
    const { preBind, poolPolicy } = nodePoolSettings(config, n.node);
    if (poolPolicy !== 'warm') continue;
    const pods = Object.keys(n.allocations).length;
    const bound = Object.values(n.enis).reduce((k, e) => k + Object.keys(e.ips).length, 0);
    const free = (id: string) => {
      const s = subnets.find((x) => x.subnetId === id);
      return s && config.subnets.includes(id) && s.zone === n.zone ? availableFor(s, n.node) : 0;
    };
    // room on an ENI whose subnet has an address, or room for a new ENI (its primary + one IP)
    const canGrow =
      Object.values(n.enis).some(
        (e) => e.state === 'attached' && usedSlots(e) < n.limits.ipsPerEni - 1 && free(e.subnetId) > 0,
      ) ||
      (eniCount(n) < n.limits.maxEnis && config.subnets.some((id) => free(id) >= 2));
    const low = Math.min(pods + preBind.min, maxBindableIps(n.limits));
    const high = Math.max(pods + preBind.max, pods);
    if (bound < low && canGrow) {
      out.push({
        invariant: 8,
        subject: `node/${n.node}`,
        message: `${n.node} has ${bound} bound, below ${low} (pods ${pods} + min ${preBind.min})`,
      });
    }
    if (bound > Math.min(high, Math.max(maxBindableIps(n.limits), pods))) {
      out.push({
        invariant: 8,
        subject: `node/${n.node}`,
        message: `${n.node} has ${bound} bound at rest, above ${high} (pods ${pods} + max ${preBind.max})`,
      });
    }
  }
  return out;
};

/**
 * Checks invariants 1, 2, 3, 7 (and 8 with a config) of DESIGN section 6 over projected
 * states. Returns every violation found; never throws. Nodes that are unregistered or removed
 * are ignored.
 *
 * @example expect(checkInvariants({ nodes, subnets })).toEqual([])
 */
export const checkInvariants = (input: InvariantInput): Violation[] => [
  ...noDoubleHolding(input.nodes),
  ...allocatedIsBound(input.nodes, input.subnets),
  ...withinLimits(input.nodes),
  ...claimsHold(input.nodes, input.subnets),
  ...(input.config ? withinBounds(input.nodes, input.subnets, input.config) : []),
];
