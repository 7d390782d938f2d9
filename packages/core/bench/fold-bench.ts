/**
 * What one small batch of events costs a replica's projection at cluster scale, the way a
 * ProjectionHost folds them (keeping the maps it owns, `applyEventsOwned`) against the baseline
 * of the same run: the fold that copies each map it changes once per batch (`applyEvents`, what
 * the host did before). Two batches, one event each, on a cluster of N nodes x 110 pods, 6 ENIs
 * x 20 IPs per node, in /16 subnets of 500 nodes each (63,000 taken addresses, packed from the
 * bottom as binds pack them; the `addresses` column counts the first subnet's):
 * - an allocation (IpAllocated / IpReleased on one node): copies the node map;
 * - a subnet change (AddressesReserved / AddressesFreed of one address, as every bind and unbind
 *   writes): copies the subnet map and the subnet's address map.
 * And the leader's choice of the addresses of one bind (20, `pickFreeAddresses`) in the first subnet,
 * searched from where the free ones start against the walk from the bottom of the block it replaced.
 *
 *   npm run bench:fold            # a table
 *   npm run bench:fold -- --json  # JSON
 */
import type { DecodedEvent } from '../src/events/decode.js';
import {
  applyEvents,
  applyEventsOwned,
  emptyProjection,
  notOwned,
  type Projection,
} from '../src/projections/projection.js';
import { pickFreeAddresses, type SubnetState } from '../src/subnet/state.js';
import { parseCidr, usableAddresses } from '../src/values/cidr.js';

const SIZES = [200, 1000, 5000];
const PODS = 110;
const ENIS = 6;
const IPS = 20;
/** Nodes per subnet: 500 x 126 addresses (6 ENIs x (1 primary + 20 secondary)) fill a /16 (65,533 usable) to 96%. */
const PER_SUBNET = 500;
const AT = '2026-11-23T01:02:03.456Z';

let seq = 0;
const ev = (stream: string, type: string, data: unknown): DecodedEvent =>
  ({
    id: `e${++seq}`,
    stream,
    seq: 0,
    type,
    v: 1,
    at: AT,
    by: { replica: 'bench', term: 1 },
    cause: {},
    data,
  }) as DecodedEvent;

const node = (i: number) => `node-${String(i).padStart(5, '0')}`;
const eni = (i: number, e: number) => `eni-${(i * 10 + e).toString(16).padStart(8, '0')}`;
/** Node i's subnet: 10.j.0.0/16 for the j-th 500 nodes. */
const subnetOf = (i: number) => Math.floor(i / PER_SUBNET);
const subnetId = (j: number) => `subnet-bnch${String(j).padStart(4, '0')}`;
/**
 * Address k of ENI e of node i (k = 0: the ENI's primary), packed from the bottom of the node's
 * subnet as binds pack them (each takes the lowest free addresses).
 */
const ip = (i: number, e: number, k: number) => {
  const n = 2 + (i % PER_SUBNET) * ENIS * (IPS + 1) + e * (IPS + 1) + k;
  return `10.${subnetOf(i)}.${n >> 8}.${n & 255}`;
};

/** The events of a cluster of `nodes` nodes, every pool full and `PODS` pods on each node. */
function* cluster(nodes: number): Generator<DecodedEvent> {
  for (let j = 0; j <= subnetOf(nodes - 1); j++) {
    const cidr = `10.${j}.0.0/16`;
    yield ev(`subnet/${subnetId(j)}`, 'SubnetRegistered', {
      subnetId: subnetId(j),
      vpcId: 'vpc-bench001',
      cidr,
      zone: 'z1',
    });
  }
  for (let i = 0; i < nodes; i++) {
    const s = `node/${node(i)}`;
    const subnet = subnetId(subnetOf(i));
    const sub = `subnet/${subnet}`;
    const limits = { maxEnis: ENIS + 2, ipsPerEni: IPS + 1 };
    yield ev(s, 'NodeRegistered', { node: node(i), instanceId: `ins-${i}`, zone: 'z1', limits });
    for (let e = 0; e < ENIS; e++) {
      const id = eni(i, e);
      const ips = Array.from({ length: IPS }, (_, k) => ip(i, e, k + 1));
      yield ev(s, 'EniCreateRequested', {
        intentId: `c${i}-${e}`,
        clientToken: `c${i}-${e}`,
        subnetId: subnet,
        why: 'b',
      });
      yield ev(s, 'EniCreated', {
        intentId: `c${i}-${e}`,
        eniId: id,
        subnetId: subnet,
        primaryIp: ip(i, e, 0),
        mac: '52:54:00:00:00:01',
      });
      yield ev(sub, 'PrimaryAddressTaken', { node: node(i), eniId: id, ip: ip(i, e, 0) });
      yield ev(s, 'EniAttachRequested', {
        intentId: `a${i}-${e}`,
        clientToken: `a${i}-${e}`,
        eniId: id,
        instanceId: `ins-${i}`,
        why: 'b',
      });
      yield ev(s, 'EniAttached', { intentId: `a${i}-${e}`, eniId: id });
      yield ev(sub, 'AddressesReserved', { intentId: `b${i}-${e}`, node: node(i), eniId: id, ips });
      yield ev(sub, 'AddressesBound', { intentId: `b${i}-${e}`, node: node(i), eniId: id, ips });
      yield ev(s, 'IpBindRequested', {
        intentId: `b${i}-${e}`,
        clientToken: `b${i}-${e}`,
        eniId: id,
        subnetId: subnet,
        ips,
        why: 'b',
      });
      yield ev(s, 'IpsBound', { intentId: `b${i}-${e}`, eniId: id, ips });
    }
    for (let p = 0; p < PODS; p++) {
      const e = Math.floor(p / IPS);
      const data = {
        pod: { namespace: 'default', name: `pod-${i}-${p}` },
        containerId: `k${i}x${p}`,
        ip: ip(i, e, (p % IPS) + 1),
        eniId: eni(i, e),
        why: 'b',
      };
      yield ev(s, 'IpAllocated', data);
    }
  }
}

/** Batch k of a kind: alternately takes and gives back one thing, so the state stays the same size. */
const batch = (kind: 'allocation' | 'subnet', k: number): DecodedEvent[] => {
  if (kind === 'allocation') {
    // the last pod of node 0 leaves and comes back
    const data = {
      pod: { namespace: 'default', name: 'pod-0-109' },
      containerId: 'k0x109',
      ip: ip(0, 5, 10),
      eniId: eni(0, 5),
      why: 'b',
    };
    return [ev(`node/${node(0)}`, k % 2 ? 'IpAllocated' : 'IpReleased', data)];
  }
  // an address above the packed ones (node 0's subnet holds at most 63,000 from its bottom)
  const data = { intentId: `x${k >> 1}`, node: node(0), eniId: eni(0, 0), ips: ['10.0.250.1'] };
  return [ev(`subnet/${subnetId(0)}`, k % 2 ? 'AddressesFreed' : 'AddressesReserved', data)];
};

/** Median µs per batch over `n` batches, folded the host's way (owned) or copying per batch. */
const measure = (p0: Projection, kind: 'allocation' | 'subnet', owning: boolean, n: number): number => {
  const owned = notOwned();
  let p = p0;
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    const b = batch(kind, k);
    const t = performance.now();
    p = owning ? applyEventsOwned(p, b, owned) : applyEvents(p, b);
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
};

const rows: Record<string, number | string>[] = [];
for (const nodes of SIZES) {
  const p0 = applyEvents(emptyProjection(), cluster(nodes));
  const addresses = Object.keys(p0.subnets[subnetId(0)]?.addresses ?? {}).length;
  for (const kind of ['allocation', 'subnet'] as const) {
    // warm the JIT on both paths, then measure each (even count: the state ends as it began)
    measure(p0, kind, true, 50);
    measure(p0, kind, false, 10);
    const owned = measure(p0, kind, true, 400);
    // a subnet batch copied at 1,000+ nodes takes a large fraction of a second: a few are enough
    const copying = measure(p0, kind, false, kind === 'subnet' && nodes >= 1000 ? 6 : nodes >= 5000 ? 20 : 60);
    rows.push({
      nodes,
      addresses,
      batch: kind,
      ownedUs: +owned.toFixed(1),
      copyingUs: +copying.toFixed(1),
      ratio: Number((owned / copying).toPrecision(3)),
    });
  }
}

/** The walk from the bottom of the block (what pickFreeAddresses did before it remembered where to start). */
const fromBottom = (s: SubnetState, n: number): string[] => {
  const out: string[] = [];
  const claimed = new Set(Object.values(s.claims).map((c) => c.ip));
  for (const ip of usableAddresses(parseCidr(s.cidr))) {
    if (out.length >= n) break;
    if (!s.addresses[ip] && !claimed.has(ip)) out.push(ip);
  }
  return out;
};

/** Median µs of `n` calls of `f`. */
const medianUs = (n: number, f: () => unknown): number => {
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    f();
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
};

for (const nodes of SIZES) {
  const s = applyEvents(emptyProjection(), cluster(nodes)).subnets[subnetId(0)] as SubnetState;
  const addresses = Object.keys(s.addresses).length;
  pickFreeAddresses(s, 20); // the first read counts the map and finds where the free addresses start
  const owned = medianUs(200, () => pickFreeAddresses(s, 20));
  const copying = medianUs(nodes >= 5000 ? 5 : 20, () => fromBottom(s, 20));
  rows.push({
    nodes,
    addresses,
    batch: 'bind pick (20)',
    ownedUs: +owned.toFixed(1),
    copyingUs: +copying.toFixed(1),
    ratio: Number((owned / copying).toPrecision(3)),
  });
}

if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
else {
  console.log('µs per batch of one event (median), owned maps (ProjectionHost) vs copied per batch (baseline);');
  console.log('bind pick: from where the free addresses start (ownedUs) vs from the bottom of the block (copyingUs)');
  console.table(rows);
}
