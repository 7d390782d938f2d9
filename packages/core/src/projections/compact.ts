import type { NodeEni, NodeState } from '../node/state.js';
import type { SubnetState } from '../subnet/state.js';
import { copyKeyed, type Keyed } from '../values/keyed.js';
import type { Projection } from './projection.js';

/**
 * The same projection, laid out to hold less memory: for a state parsed from JSON (a snapshot).
 *
 * Written by hand because no library fits: it knows which fields are keyed maps.
 * - Keyed maps become null-prototype dictionaries, as `withKey` makes them. JSON.parse builds
 *   small objects in V8's fast mode, with a hidden class for each distinct key sequence: keys
 *   here are container ids and addresses that never repeat, so every allocation map and every
 *   ENI's address map brought its own chain of hidden classes.
 * - Repeated strings are shared: JSON.parse makes a new string for every value, so an ENI id
 *   held by each of its addresses, a node name held by each address of the subnet, an intent
 *   id, a namespace, each existed once per holder.
 * Fields it does not know are kept as they are. `p` is not changed.
 */
export const compactProjection = (p: Projection): Projection => {
  const c = compactor();
  const nodes = dict<NodeState>();
  for (const [name, n] of Object.entries(p.nodes)) nodes[c.intern(name)] = c.node(n);
  const subnets = dict<SubnetState>();
  for (const [id, sub] of Object.entries(p.subnets)) subnets[c.intern(id)] = c.subnet(sub);
  return { ...p, nodes, subnets };
};

/** Compacts stream states one at a time, sharing one pool of strings (see `compactProjection`). */
export interface Compactor {
  intern(v: string): string;
  node(n: NodeState): NodeState;
  subnet(s: SubnetState): SubnetState;
}

export const compactor = (): Compactor => {
  const pool = new Map<string, string>();
  const intern = (v: string): string => {
    const hit = pool.get(v);
    if (hit !== undefined) return hit;
    pool.set(v, v);
    return v;
  };
  return { intern, node: (n) => compactNode(n, intern), subnet: (s) => compactSubnet(s, intern) };
};

/**
 * `p` with the named node and subnet states compacted, where they are still the very states of
 * `loaded` (a state changed since was rebuilt by evolve and is compact already). For compacting
 * a loaded snapshot in slices while the live projection moves on. `p` is not changed.
 */
export const compactStates = (
  p: Projection,
  loaded: Projection,
  names: { nodes: readonly string[]; subnets: readonly string[] },
  c: Compactor,
): Projection => {
  let nodes: Keyed<NodeState> | undefined;
  for (const name of names.nodes) {
    const n = p.nodes[name];
    if (n === undefined || n !== loaded.nodes[name]) continue;
    nodes ??= copyKeyed(p.nodes);
    nodes[name] = c.node(n);
  }
  let subnets: Keyed<SubnetState> | undefined;
  for (const id of names.subnets) {
    const s = p.subnets[id];
    if (s === undefined || s !== loaded.subnets[id]) continue;
    subnets ??= copyKeyed(p.subnets);
    subnets[id] = c.subnet(s);
  }
  return nodes || subnets ? { ...p, nodes: nodes ?? p.nodes, subnets: subnets ?? p.subnets } : p;
};

type Intern = (v: string) => string;
const dict = <T>(): Keyed<T> => Object.create(null) as Keyed<T>;
const opt = (v: string | undefined, s: Intern): string | undefined => (v === undefined ? undefined : s(v));

/** Sets `key` only when `value` is defined (the state never holds an explicit undefined). */
const put = <T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void => {
  if (value !== undefined) o[key] = value;
};

const compactNode = (n: NodeState, s: Intern): NodeState => {
  const enis = dict<NodeEni>();
  for (const [id, e] of Object.entries(n.enis)) {
    const ips = dict<NodeEni['ips'][string]>();
    for (const [ip, a] of Object.entries(e.ips)) {
      const v: NodeEni['ips'][string] = { ...a, ip: s(a.ip) };
      put(v, 'reservedFor', opt(a.reservedFor, s));
      ips[s(ip)] = v;
    }
    enis[s(id)] = { ...e, eniId: s(e.eniId), subnetId: s(e.subnetId), ips };
  }
  const allocations = dict<NodeState['allocations'][string]>();
  for (const [k, a] of Object.entries(n.allocations))
    allocations[k] = { ...a, containerId: k, pod: pod(a.pod, s), ip: s(a.ip), eniId: s(a.eniId) };
  const assignments = dict<NodeState['assignments'][string]>();
  for (const [k, a] of Object.entries(n.assignments))
    assignments[k] = { ...a, containerId: k, pod: pod(a.pod, s), eniId: s(a.eniId) };
  const intents = dict<NodeState['intents'][string]>();
  for (const [k, i] of Object.entries(n.intents)) {
    const v = { ...i, intentId: s(i.intentId) };
    put(v, 'eniId', opt(i.eniId, s));
    put(v, 'subnetId', opt(i.subnetId, s));
    if (i.ips) v.ips = i.ips.map(s);
    intents[s(k)] = v;
  }
  const refusals = dict<NodeState['refusals'][string]>();
  for (const [k, r] of Object.entries(n.refusals)) refusals[k] = { code: s(r.code), reason: r.reason };
  return { ...n, node: s(n.node), zone: s(n.zone), enis, allocations, assignments, intents, refusals };
};

const pod = <P extends { namespace: string; name: string; uid?: string | undefined }>(p: P, s: Intern): P => {
  return { ...p, namespace: s(p.namespace) };
};

const compactSubnet = (sub: SubnetState, s: Intern): SubnetState => {
  const addresses = dict<SubnetState['addresses'][string]>();
  for (const [ip, a] of Object.entries(sub.addresses)) {
    const v = { ...a, node: s(a.node), eniId: s(a.eniId) };
    put(v, 'intentId', opt(a.intentId, s));
    addresses[s(ip)] = v;
  }
  const quotas = dict<number>();
  for (const [k, q] of Object.entries(sub.quotas)) quotas[s(k)] = q;
  const claims = dict<SubnetState['claims'][string]>();
  for (const [k, c] of Object.entries(sub.claims))
    claims[k] = { ...c, pod: pod(c.pod, s), ip: s(c.ip), node: s(c.node) };
  return { ...sub, addresses, quotas, claims };
};
