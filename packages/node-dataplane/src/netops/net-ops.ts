/**
 * The one seam between the node dataplane and the kernel's networking state.
 *
 * `netns` everywhere is a network-namespace path (`/var/run/netns/x`, `/proc/<pid>/ns/net`);
 * `undefined` means the agent's own namespace (the node's host namespace). Implementations:
 * {@link Iproute2NetOps} (iproute2 JSON + `ip -batch` + `nsenter`) for real hosts, and the
 * recording `FakeNetOps` (testing subpath) for unit tests.
 *
 * @example
 *   await net.apply([{ op: 'linkUp', dev: 'eth1' }, { op: 'routeReplace', dst: 'default', via: gw, dev: 'eth1', table: 2003, onlink: true }]);
 */
export interface NetOps {
  /** Links with their IPv4 addresses (`ip -j -d addr`). */
  links(netns?: string): Promise<Link[]>;
  /** IPv4 policy rules of the agent's namespace. */
  rules(): Promise<Rule[]>;
  /** IPv4 unicast routes of a table (`'all'`: every table) in a namespace. */
  routes(table: number | 'main' | 'all', netns?: string): Promise<Route[]>;
  /**
   * Applies the changes in order, in one `ip -batch` per call. Stops at the first change that
   * fails and throws {@link NetOpsError}; changes before it stay applied (callers roll back).
   */
  apply(changes: readonly NetChange[], netns?: string): Promise<void>;
  /** Writes a sysctl of the agent's own namespace, for example `net.ipv4.conf.all.rp_filter`. */
  setSysctl(key: string, value: string): Promise<void>;
}

export interface Link {
  index: number;
  name: string;
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  kind?: string;
  alias?: string;
  /** IPv4 addresses as `a.b.c.d/len`. */
  addrs: string[];
}

export interface Rule {
  priority: number;
  /** Source selector without `/32` for hosts, `all` for none. */
  src: string;
  table: string;
}

export interface Route {
  /** `default` or `a.b.c.d` / `a.b.c.d/len`, as iproute2 prints it. */
  dst: string;
  gateway?: string;
  dev?: string;
  table: string;
  protocol?: string;
}

/** One iproute2 change; each renders to one `ip -batch` line. */
export type NetChange =
  | { op: 'vethAdd'; name: string; mac?: string; peerName: string; peerMac?: string; peerNetns?: string }
  | { op: 'linkUp'; dev: string }
  | { op: 'linkDown'; dev: string }
  | { op: 'linkDel'; dev: string }
  | { op: 'linkRename'; dev: string; newName: string }
  | { op: 'linkAlias'; dev: string; alias: string }
  | { op: 'linkSetNetns'; dev: string; netns: string }
  | { op: 'addrAdd'; dev: string; cidr: string }
  | { op: 'addrFlush'; dev: string }
  | { op: 'neighReplace'; ip: string; mac: string; dev: string }
  | {
      op: 'routeReplace' | 'routeDel';
      dst: string;
      via?: string;
      dev?: string;
      table?: number;
      onlink?: boolean;
      scopeLink?: boolean;
      proto?: number;
    }
  | { op: 'ruleAdd' | 'ruleDel'; from: string; table: number; priority: number };

export class NetOpsError extends Error {
  override readonly name = 'NetOpsError';
  constructor(
    message: string,
    /** The batch line iproute2 rejected, when known. */
    readonly line?: string,
  ) {
    super(message);
  }
}

/** Renders a change as the argv of one `ip` command (without the leading `ip`). */
export const renderChange = (c: NetChange): string[] => {
  switch (c.op) {
    case 'vethAdd':
      return [
        'link',
        'add',
        c.name,
        ...(c.mac ? ['address', c.mac] : []),
        'type',
        'veth',
        'peer',
        'name',
        c.peerName,
        ...(c.peerMac ? ['address', c.peerMac] : []),
        ...(c.peerNetns ? ['netns', c.peerNetns] : []),
      ];
    case 'linkUp':
      return ['link', 'set', 'dev', c.dev, 'up'];
    case 'linkDown':
      return ['link', 'set', 'dev', c.dev, 'down'];
    case 'linkDel':
      return ['link', 'del', 'dev', c.dev];
    case 'linkRename':
      return ['link', 'set', 'dev', c.dev, 'name', c.newName];
    case 'linkAlias':
      return ['link', 'set', 'dev', c.dev, 'alias', c.alias];
    case 'linkSetNetns':
      return ['link', 'set', 'dev', c.dev, 'netns', c.netns];
    case 'addrAdd':
      return ['addr', 'add', c.cidr, 'dev', c.dev];
    case 'addrFlush':
      return ['addr', 'flush', 'dev', c.dev];
    case 'neighReplace':
      return ['neigh', 'replace', c.ip, 'lladdr', c.mac, 'dev', c.dev, 'nud', 'permanent'];
    case 'routeReplace':
    case 'routeDel':
      return [
        'route',
        c.op === 'routeReplace' ? 'replace' : 'del',
        c.dst,
        ...(c.via ? ['via', c.via] : []),
        ...(c.dev ? ['dev', c.dev] : []),
        ...(c.onlink ? ['onlink'] : []),
        ...(c.scopeLink ? ['scope', 'link'] : []),
        ...(c.table !== undefined ? ['table', String(c.table)] : []),
        ...(c.proto !== undefined ? ['proto', String(c.proto)] : []),
      ];
    case 'ruleAdd':
    case 'ruleDel':
      return [
        'rule',
        c.op === 'ruleAdd' ? 'add' : 'del',
        'from',
        c.from,
        'lookup',
        String(c.table),
        'pref',
        String(c.priority),
      ];
    default: {
      const never: never = c;
      throw new NetOpsError(`unknown change ${JSON.stringify(never)}`);
    }
  }
};
