import { type Link, type NetChange, type NetOps, NetOpsError, type Route, type Rule } from '../netops/net-ops.js';

interface Ns {
  links: Map<string, Link>;
  routes: Route[];
}

const HOST = '<host>';

/**
 * A recording NetOps over an in-memory model of namespaces, links, routes and rules. It fails
 * the way iproute2 does (existing link, missing device, missing netns, duplicate route/rule
 * deletion) so rollback and idempotency paths are exercised in unit tests.
 *
 * @example
 *   const net = new FakeNetOps(); net.addNetns('/run/netns/p1'); net.addLink({ name: 'eth1', mac });
 */
export class FakeNetOps implements NetOps {
  readonly calls: { netns?: string; changes: NetChange[] }[] = [];
  readonly sysctls = new Map<string, string>();
  rulesList: Rule[] = [];
  private readonly nss = new Map<string, Ns>([[HOST, { links: new Map(), routes: [] }]]);
  private nextIndex = 2;
  private readonly peers = new WeakMap<Link, Link>();
  /** When set, the change whose rendered op matches fails (once). */
  failOn: ((c: NetChange, netns?: string) => boolean) | undefined;

  /** @param selfNetns a path that names the host model itself (like `/proc/<agent pid>/ns/net`). */
  constructor(private readonly selfNetns = '/proc/self-agent/ns/net') {}

  addNetns(path: string): void {
    this.nss.set(path, { links: new Map(), routes: [] });
  }
  removeNetns(path: string): void {
    this.nss.delete(path);
  }
  addLink(l: { name: string; mac: string; up?: boolean; kind?: string }, netns?: string): Link {
    const link: Link = { index: this.nextIndex++, name: l.name, mac: l.mac, up: l.up ?? false, addrs: [] };
    if (l.kind) link.kind = l.kind;
    this.ns(netns).links.set(l.name, link);
    return link;
  }
  linkNames(netns?: string): string[] {
    return [...this.ns(netns).links.keys()];
  }

  async links(netns?: string): Promise<Link[]> {
    return [...this.ns(netns).links.values()].map((l) => ({ ...l, addrs: [...l.addrs] }));
  }
  async rules(): Promise<Rule[]> {
    return this.rulesList.map((r) => ({ ...r }));
  }
  async routes(table: number | 'main' | 'all', netns?: string): Promise<Route[]> {
    return this.ns(netns)
      .routes.filter((r) => table === 'all' || r.table === String(table))
      .map((r) => ({ ...r }));
  }
  async setSysctl(key: string, value: string): Promise<void> {
    this.sysctls.set(key, value);
  }

  async apply(changes: readonly NetChange[], netns?: string): Promise<void> {
    this.calls.push({ ...(netns ? { netns } : {}), changes: [...changes] });
    const ns = this.ns(netns);
    for (const c of changes) {
      if (this.failOn?.(c, netns)) {
        this.failOn = undefined;
        throw new NetOpsError(`injected failure on ${c.op}`);
      }
      this.applyOne(ns, c);
    }
  }

  private applyOne(ns: Ns, c: NetChange): void {
    const dev = (name: string): Link => {
      const l = ns.links.get(name);
      if (!l) throw new NetOpsError(`Cannot find device "${name}"`);
      return l;
    };
    switch (c.op) {
      case 'vethAdd': {
        const peerNs = this.ns(c.peerNetns);
        if (ns.links.has(c.name) || peerNs.links.has(c.peerName)) throw new NetOpsError('File exists');
        const mk = (name: string, mac?: string): Link => ({
          index: this.nextIndex++,
          name,
          mac: mac ?? `02:00:00:00:00:${(this.nextIndex % 256).toString(16).padStart(2, '0')}`,
          up: false,
          kind: 'veth',
          addrs: [],
        });
        const a = mk(c.name, c.mac);
        const b = mk(c.peerName, c.peerMac);
        this.peers.set(a, b);
        this.peers.set(b, a);
        ns.links.set(c.name, a);
        peerNs.links.set(c.peerName, b);
        return;
      }
      case 'linkUp':
      case 'linkDown':
        dev(c.dev).up = c.op === 'linkUp';
        return;
      case 'linkDel': {
        const l = dev(c.dev);
        ns.links.delete(c.dev);
        ns.routes = ns.routes.filter((r) => r.dev !== c.dev);
        const peer = this.peers.get(l);
        if (peer) for (const other of this.nss.values()) this.dropPeer(other, peer);
        return;
      }
      case 'linkRename': {
        const l = dev(c.dev);
        ns.links.delete(c.dev);
        l.name = c.newName;
        ns.links.set(c.newName, l);
        return;
      }
      case 'linkAlias':
        dev(c.dev).alias = c.alias;
        return;
      case 'linkSetNetns': {
        const l = dev(c.dev);
        const target = this.ns(c.netns);
        ns.links.delete(c.dev);
        ns.routes = ns.routes.filter((r) => r.dev !== c.dev);
        l.up = false;
        l.addrs = [];
        target.links.set(l.name, l);
        return;
      }
      case 'addrAdd': {
        const l = dev(c.dev);
        if (l.addrs.includes(c.cidr)) throw new NetOpsError('File exists');
        l.addrs.push(c.cidr);
        return;
      }
      case 'addrFlush':
        dev(c.dev).addrs = [];
        return;
      case 'neighReplace':
        dev(c.dev);
        return;
      case 'routeReplace':
      case 'routeDel': {
        const table = String(c.table ?? 'main');
        const dst = c.dst.replace(/\/32$/, '');
        const same = (r: Route) => r.dst === dst && r.table === table;
        if (c.op === 'routeDel') {
          if (!ns.routes.some(same)) throw new NetOpsError('No such process');
          ns.routes = ns.routes.filter((r) => !same(r));
          return;
        }
        if (c.dev) dev(c.dev);
        ns.routes = ns.routes.filter((r) => !same(r));
        ns.routes.push({
          dst,
          table,
          ...(c.via ? { gateway: c.via } : {}),
          ...(c.dev ? { dev: c.dev } : {}),
          ...(c.proto !== undefined ? { protocol: String(c.proto) } : {}),
        });
        return;
      }
      case 'ruleAdd':
        this.rulesList.push({ priority: c.priority, src: c.from, table: String(c.table) });
        return;
      case 'ruleDel': {
        const i = this.rulesList.findIndex(
          (r) => r.priority === c.priority && r.src === c.from && r.table === String(c.table),
        );
        if (i < 0) throw new NetOpsError('No such file or directory');
        this.rulesList.splice(i, 1);
        return;
      }
    }
  }

  /** A deleted veth takes its peer with it, wherever the peer lives. */
  private dropPeer(ns: Ns, peer: Link): void {
    for (const [name, l] of ns.links) {
      if (l === peer) {
        ns.links.delete(name);
        ns.routes = ns.routes.filter((r) => r.dev !== name);
      }
    }
  }

  private ns(netns?: string): Ns {
    const ns = this.nss.get(netns === undefined || netns === this.selfNetns ? HOST : netns);
    if (!ns) throw new NetOpsError(`Cannot open network namespace "${netns}": No such file or directory`);
    return ns;
  }
}
