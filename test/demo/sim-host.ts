/**
 * The IPAM-only host of a demo node: the node agent's `NetOps` over an in-memory model
 * (node-dataplane's FakeNetOps) instead of the kernel, used when the demo cannot create network
 * namespaces (not root, or no `ip netns`). What the cloud attaches to the node's instance shows
 * up as a NIC (same MAC), as on a real CVM, so the agent and the CNI plugin run their real code
 * paths: ENI lookup by MAC, route tables, rules, veths, an exclusive ENI moved into the pod.
 */
import type { Link, NetChange } from '@eni-ipam/node-dataplane';
import { FakeNetOps } from '@eni-ipam/node-dataplane/testing';

/** Pod namespaces of IPAM-only pods live under this (never on disk). */
export const SIM_NETNS_PREFIX = '/var/run/netns/eni-ipam-demo-sim/';

export class SimHostNetOps extends FakeNetOps {
  private readonly namespaces = new Set<string>();
  private readonly seen = new Set<string>();

  /** @param attachedMacs the MACs of the ENIs the cloud shows attached to this node's instance. */
  constructor(
    private readonly attachedMacs: () => readonly string[],
    selfNetns: string,
  ) {
    super(selfNetns);
  }

  override async links(netns?: string): Promise<Link[]> {
    if (netns === undefined) this.plugNics();
    else this.ensureNs(netns);
    return super.links(netns);
  }

  override async apply(changes: readonly NetChange[], netns?: string): Promise<void> {
    if (netns !== undefined) this.ensureNs(netns);
    for (const c of changes) {
      if (c.op === 'vethAdd' && c.peerNetns) this.ensureNs(c.peerNetns);
      if (c.op === 'linkSetNetns') this.ensureNs(c.netns);
    }
    return super.apply(changes, netns);
  }

  /** The pod's namespace is created by the runtime before ADD, gone after the sandbox is. */
  podNetnsGone(path: string): void {
    this.namespaces.delete(path);
    this.removeNetns(path);
  }

  private ensureNs(path: string): void {
    if (!path.startsWith(SIM_NETNS_PREFIX) || this.namespaces.has(path)) return;
    this.namespaces.add(path);
    this.addNetns(path);
    // a new network namespace has its loopback device (down), as the kernel makes it
    if (path.slice(SIM_NETNS_PREFIX.length).startsWith('ctr-'))
      this.addLink({ name: 'lo', mac: '00:00:00:00:00:00' }, path);
  }

  private plugNics(): void {
    for (const mac of this.attachedMacs()) {
      if (this.seen.has(mac)) continue;
      this.seen.add(mac);
      this.addLink({ name: `eth${this.seen.size}`, mac, up: false });
    }
  }
}
