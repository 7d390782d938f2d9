import type { Link, NetOps } from '../netops/net-ops.js';
import { POD_RULE_PRIORITY } from './host-layout.js';
import { planHost } from './host-plan.js';
import { Mutex } from './mutex.js';
import type { NodeView } from './node-view.js';

/**
 * The host side of the agent: converges the node to a view, and keeps a small cache of links by
 * MAC (ENIs rarely change) so a CNI ADD costs no extra `ip` spawn to find its ENI.
 */
export class Host {
  private byMac = new Map<string, Link>();
  /** Our pod rules (pref 512) by source IP -> table. The agent is their only writer. */
  readonly podRules = new Map<string, number>();
  /** Held by converge and by every CNI change to rules, routes and veths. */
  readonly lock = new Mutex();

  constructor(readonly net: NetOps) {}

  /** Idempotent: a second run with the same view changes nothing. Returns the number of changes. */
  converge(view: NodeView, removeOrphans: boolean): Promise<number> {
    return this.lock.run(async () => {
      const [links, rules, routes] = await Promise.all([this.net.links(), this.net.rules(), this.net.routes('all')]);
      this.byMac = new Map(links.map((l) => [l.mac, l]));
      const plan = planHost(view, { links, rules, routes }, removeOrphans);
      for (const [key, value] of plan.sysctls) await this.net.setSysctl(key, value);
      await this.net.apply(plan.changes);
      const after = plan.changes.some((c) => c.op === 'ruleAdd' || c.op === 'ruleDel') ? await this.net.rules() : rules;
      this.podRules.clear();
      for (const r of after) if (r.priority === POD_RULE_PRIORITY) this.podRules.set(r.src, Number(r.table));
      return plan.changes.length;
    });
  }

  /** Loads our pod rules without converging (when no snapshot is available at start-up). */
  loadRules(): Promise<void> {
    return this.lock.run(async () => {
      this.podRules.clear();
      for (const r of await this.net.rules())
        if (r.priority === POD_RULE_PRIORITY) this.podRules.set(r.src, Number(r.table));
    });
  }

  async linkByMac(mac: string): Promise<Link | undefined> {
    const cached = this.byMac.get(mac);
    if (cached) return cached;
    this.byMac = new Map((await this.net.links()).map((l) => [l.mac, l]));
    return this.byMac.get(mac);
  }

  /** Forget cached links, for example after an ENI left the host for a pod. */
  invalidate(): void {
    this.byMac.clear();
  }
}
