import type { SimDump } from '@eni-ipam/cloud';
import { must } from './sh.js';
import { Topology } from './topology.js';

export interface SimTopologyOptions {
  /** Simulator instance id -> node label; each gets the namespace `<label>-<sfx>`. Others are ignored. */
  nodes: Readonly<Record<string, string>>;
  /** Configure an ENI's primary IP (/32, link up) in its node when plugged, as the cloud image does. Default true. */
  configurePrimaryIp?: boolean;
}

interface Plugged {
  instanceId: string;
  peer: string;
  mac: string;
}

/** `a.b.c.d/p` of a subnet's gateway: the simulator reserves the subnet's first host address. */
const gatewayOf = (cidr: string): string => {
  const [net = '', prefix = ''] = cidr.split('/');
  const n = net.split('.').reduce((a, o) => a * 256 + Number(o), 0) + 1;
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/${prefix}`;
};

/**
 * The VPC simulator made real in network namespaces. `vpc-<sfx>` holds `br0` with every subnet's
 * gateway; each mapped simulator instance is a node namespace. Following the simulator's state
 * (its `onChange` hook, or {@link SimTopology.follow} polling `GET /_sim/state`):
 * - an ENI attached to a node's instance appears there as a veth `eth<deviceIndex>` with the
 *   simulator's MAC (primary IP configured unless told otherwise), its peer on the bridge; when
 *   it is detached (or deleted) the pair is removed, wherever the agent moved its node end;
 * - every address the VPC knows on a plugged ENI (primary and secondaries) is a permanent
 *   neighbour entry on `br0` (the VPC's "SDN", as {@link Topology.bindIp}); unassigned -> removed.
 *
 * Syncs are serialised and idempotent (each diffs the whole state against what is plugged).
 * With the hook, the simulator answers the call that made a change only after the change is
 * real: ipamd learns an attach succeeded after the ENI's link exists.
 *
 * @example
 *   const topo = new SimTopology({ nodes: { 'ins-00000000': 'nA' } });
 *   const sim = await startTestSimulator({ seed, onChange: topo.onChange });
 *   await topo.start(sim.dump());
 *   // ... ipamd attaches and binds; topo.nodeNs('ins-00000000') holds the ENIs ...
 *   await topo.destroy();
 */
export class SimTopology extends Topology {
  private readonly plugged = new Map<string, Plugged>();
  private readonly bound = new Map<string, string>();
  private readonly nodeNamespaces = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private latest: SimDump | undefined;
  private started = false;
  private peers = 0;
  private poller: NodeJS.Timeout | undefined;
  /** Failed syncs (the next sync retries); tests assert it stays empty. */
  readonly errors: Error[] = [];

  constructor(private readonly opts: SimTopologyOptions) {
    super();
  }

  /** For `startVpcSimulator({ onChange })`: syncs to `state` (after {@link start}; before, only remembers it). */
  readonly onChange = (state: SimDump): Promise<void> => {
    this.latest = state;
    return this.started ? this.sync(state) : Promise.resolve();
  };

  /** Builds the VPC namespace and the node namespaces from the simulator's state, then syncs to it. */
  async start(state: SimDump): Promise<void> {
    await this.build(state.subnets.map((s) => gatewayOf(s.cidr)));
    for (const [instanceId, label] of Object.entries(this.opts.nodes)) {
      const ns = await this.addNode(label, []);
      this.nodeNamespaces.set(instanceId, ns);
    }
    this.started = true;
    await this.sync(this.latest ?? state);
  }

  /** For a simulator in another process: polls `<simUrl>/_sim/state` every `intervalMs`. */
  follow(simUrl: string, intervalMs = 100): void {
    const tick = async () => {
      try {
        const res = await fetch(`${simUrl}/_sim/state`);
        if (res.ok) await this.onChange((await res.json()) as SimDump);
      } catch (e) {
        this.errors.push(e as Error);
      }
      if (this.poller) this.poller = setTimeout(tick, intervalMs);
    };
    this.poller = setTimeout(tick, 0);
  }

  /** The namespace of the node that stands for `instanceId`. */
  nodeNs(instanceId: string): string {
    const ns = this.nodeNamespaces.get(instanceId);
    if (!ns) throw new Error(`SimTopology: no node for instance ${instanceId}`);
    return ns;
  }

  /** ENI id -> MAC (lowercase) of every plugged ENI. */
  pluggedEnis(): Map<string, string> {
    return new Map([...this.plugged].map(([id, p]) => [id, p.mac]));
  }

  /** Brings the namespaces in line with `state`; serialised after any sync under way. */
  sync(state: SimDump): Promise<void> {
    const run = this.queue.then(() => this.apply(state));
    this.queue = run.catch((e: Error) => void this.errors.push(e));
    return run;
  }

  private async apply(state: SimDump): Promise<void> {
    const wanted = new Map(
      state.enis
        .filter(
          (e) =>
            e.instanceId !== undefined &&
            this.nodeNamespaces.has(e.instanceId) &&
            e.state !== 'ATTACHING' &&
            e.deviceIndex !== undefined,
        )
        .map((e) => [e.eniId, e]),
    );
    for (const [eniId, p] of [...this.plugged]) {
      const w = wanted.get(eniId);
      if (w?.instanceId === p.instanceId && w.mac.toLowerCase() === p.mac) continue;
      // deleting the bridge end removes the pair, wherever the node end has been moved
      await must('ip', ['-n', this.vpc, 'link', 'del', p.peer]);
      this.plugged.delete(eniId);
    }
    for (const e of wanted.values()) {
      if (this.plugged.has(e.eniId)) continue;
      const instanceId = e.instanceId ?? '';
      const peer = `s${this.sfx}p${this.peers++}`;
      const mac = e.mac.toLowerCase();
      await this.plugEni(
        this.nodeNs(instanceId),
        {
          name: `eth${e.deviceIndex}`,
          mac,
          primaryIp: e.primaryIp,
          configure: this.opts.configurePrimaryIp ?? true,
        },
        peer,
      );
      this.plugged.set(e.eniId, { instanceId, peer, mac });
    }
    const neigh = new Map<string, string>();
    for (const e of wanted.values())
      for (const ip of [e.primaryIp, ...e.secondaryIps]) neigh.set(ip, e.mac.toLowerCase());
    const lines: string[] = [];
    for (const [ip, mac] of this.bound) if (neigh.get(ip) !== mac) lines.push(`neigh flush to ${ip} dev br0 nud all`); // no error when already gone
    for (const [ip, mac] of neigh)
      if (this.bound.get(ip) !== mac) lines.push(`neigh replace ${ip} lladdr ${mac} dev br0 nud permanent`);
    if (lines.length) await this.batch(this.vpc, lines);
    this.bound.clear();
    for (const [ip, mac] of neigh) this.bound.set(ip, mac);
  }

  override async destroy(): Promise<void> {
    if (this.poller) clearTimeout(this.poller);
    this.poller = undefined;
    this.started = false;
    await this.queue;
    this.plugged.clear();
    this.bound.clear();
    await super.destroy();
  }
}
