import { must, sh, suffix } from './sh.js';

/**
 * A VPC in network namespaces: `vpc-<sfx>` holds a bridge with the subnet gateway; each node
 * namespace gets veth "ENIs" whose other ends sit on the bridge. The VPC's "SDN" (which in the
 * cloud knows that a secondary IP lives on an ENI) is a permanent neighbour entry on the bridge,
 * programmed by {@link Topology.bindIp} when ipamd allocates.
 */
export interface EniSpec {
  /** Link name inside the node, for example `eth1`. */
  name: string;
  mac: string;
  primaryIp: string;
  /** Shared ENIs get their primary IP configured in the node (as the cloud image does). */
  configure: boolean;
}

export class Topology {
  readonly sfx = suffix();
  readonly vpc = `vpc-${this.sfx}`;
  readonly subnet = '10.77.1.0/24';
  readonly gateway = '10.77.1.1';
  private readonly namespaces: string[] = [];

  nsPath(ns: string): string {
    return `/var/run/netns/${ns}`;
  }

  async addNs(name: string): Promise<string> {
    await must('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** The `vpc` namespace with `br0` holding the subnet gateways (`a.b.c.d/prefix`; default this.subnet's). */
  async build(gateways: readonly string[] = [`${this.gateway}/24`]): Promise<void> {
    await this.addNs(this.vpc);
    await this.batch(this.vpc, [
      // A set MAC: otherwise br0 takes its lowest port's MAC, and each change of it flushes
      // every neighbour entry on br0 (permanent ones too), unbinding addresses behind our back.
      'link add br0 address 02:00:5e:10:00:01 type bridge',
      ...gateways.map((g) => `addr add ${g} dev br0`),
      'link set br0 up',
    ]);
    await this.sysctl(this.vpc, {
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.br0.send_redirects': '0',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.br0.rp_filter': '0',
    });
  }

  /** A node namespace with the given ENIs plugged into the VPC bridge. */
  async addNode(label: string, enis: EniSpec[]): Promise<string> {
    const ns = await this.addNs(`${label}-${this.sfx}`);
    await this.sysctl(ns, { 'net.ipv4.ip_forward': '1' });
    for (const [i, e] of enis.entries()) await this.plugEni(ns, e, `${label}e${i}${this.sfx}`.slice(0, 15));
    return ns;
  }

  /** A veth "ENI" named `e.name` with `e.mac` in node namespace `ns`; its peer `peer` sits on the VPC bridge. */
  async plugEni(ns: string, e: EniSpec, peer: string): Promise<void> {
    await must('ip', [
      '-n',
      ns,
      'link',
      'add',
      e.name,
      'address',
      e.mac,
      'type',
      'veth',
      'peer',
      'name',
      peer,
      'netns',
      this.vpc,
    ]);
    // proxy_arp on the port: the bridge answers ARP for bound addresses from br0's neighbour
    // table, as a VPC's ARP proxy does, so an exclusive ENI reaches on-subnet pods elsewhere.
    await this.batch(this.vpc, [
      `link set ${peer} master br0`,
      `link set dev ${peer} type bridge_slave proxy_arp on`,
      `link set ${peer} up`,
    ]);
    if (e.configure) await this.batch(ns, [`addr add ${e.primaryIp}/32 dev ${e.name}`, `link set ${e.name} up`]);
  }

  async addPodNs(label: string): Promise<string> {
    return this.addNs(`${label}-${this.sfx}`);
  }

  /** The VPC learns that `ip` lives behind the ENI with `mac`. */
  async bindIp(ip: string, mac: string): Promise<void> {
    await must('ip', ['-n', this.vpc, 'neigh', 'replace', ip, 'lladdr', mac, 'dev', 'br0', 'nud', 'permanent']);
  }

  async ping(fromNs: string, ip: string): Promise<boolean> {
    return (await sh('ip', ['netns', 'exec', fromNs, 'ping', '-c', '1', '-W', '2', ip])).code === 0;
  }

  async ip(ns: string, args: string[]): Promise<string> {
    return must('ip', ['-n', ns, ...args]);
  }

  async batch(ns: string, lines: string[]): Promise<void> {
    await must('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  }

  async sysctl(ns: string, kv: Record<string, string>): Promise<void> {
    await must('ip', ['netns', 'exec', ns, 'sysctl', '-q', ...Object.entries(kv).map(([k, v]) => `${k}=${v}`)]);
  }

  /** Deletes every namespace this topology created (veths go with them). Safe to call twice. */
  async destroy(): Promise<void> {
    for (const ns of this.namespaces.splice(0).reverse()) await sh('ip', ['netns', 'del', ns]);
  }
}
