import type { Link, NetChange, Route, Rule } from '../netops/net-ops.js';
import { HOST_VETH_PREFIX, hostVethName, isOurTable, POD_RULE_PRIORITY, ROUTE_PROTO, tableFor } from './host-layout.js';
import type { NodeView } from './node-view.js';

export interface Observed {
  links: readonly Link[];
  rules: readonly Rule[];
  /** Routes of every table. */
  routes: readonly Route[];
}

export interface HostPlan {
  sysctls: [key: string, value: string][];
  changes: NetChange[];
}

/**
 * Pure: what to change so the host matches the view. Additive unless `removeOrphans` is set:
 * then rules, routes and veths carrying our markers that belong to no live pod are removed too.
 * Orphans are only removed at start-up, before the CNI socket is served, so a pod whose ADD
 * is under way (allocated in ipamd, not yet in our view) can never be mistaken for garbage.
 */
export const planHost = (view: NodeView, seen: Observed, removeOrphans: boolean): HostPlan => {
  const sysctls: [string, string][] = [
    ['net.ipv4.conf.all.rp_filter', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
  ];
  const changes: NetChange[] = [];
  const byMac = new Map(seen.links.map((l) => [l.mac, l]));
  const byName = new Map(seen.links.map((l) => [l.name, l]));
  const wantedTables = new Set<string>();

  for (const eni of view.enis.values()) {
    const link = byMac.get(eni.mac);
    if (!link) continue;
    sysctls.push([`net.ipv4.conf.${link.name}.rp_filter`, '0']);
    if (eni.mode !== 'shared') continue;
    if (!link.up) changes.push({ op: 'linkUp', dev: link.name });
    const table = tableFor(link.index);
    wantedTables.add(String(table));
    const have = seen.routes.find((r) => r.dst === 'default' && r.table === String(table));
    if (have?.gateway !== eni.gateway || have.dev !== link.name) {
      changes.push({
        op: 'routeReplace',
        dst: 'default',
        via: eni.gateway,
        dev: link.name,
        onlink: true,
        table,
        proto: ROUTE_PROTO,
      });
    }
  }

  const liveIps = new Set<string>();
  const liveVeths = new Set<string>();
  for (const a of view.allocations.values()) {
    if (a.mode !== 'shared') continue;
    const veth = hostVethName(a.containerId);
    const eniLink = byMac.get(a.eniMac);
    if (!byName.has(veth) || !eniLink) continue;
    liveIps.add(a.ip);
    liveVeths.add(veth);
    const table = tableFor(eniLink.index);
    const route = seen.routes.find((r) => r.table === 'main' && r.dst === a.ip);
    if (route?.dev !== veth) {
      changes.push({ op: 'routeReplace', dst: `${a.ip}/32`, dev: veth, scopeLink: true, proto: ROUTE_PROTO });
    }
    const rules = seen.rules.filter((r) => r.priority === POD_RULE_PRIORITY && r.src === a.ip);
    for (const r of rules) {
      if (r.table !== String(table))
        changes.push({ op: 'ruleDel', from: a.ip, table: Number(r.table), priority: r.priority });
    }
    if (!rules.some((r) => r.table === String(table))) {
      changes.push({ op: 'ruleAdd', from: a.ip, table, priority: POD_RULE_PRIORITY });
    }
  }

  if (removeOrphans) {
    for (const r of seen.rules) {
      if (r.priority === POD_RULE_PRIORITY && !liveIps.has(r.src) && isOurTable(r.table)) {
        changes.push({ op: 'ruleDel', from: r.src, table: Number(r.table), priority: r.priority });
      }
    }
    const orphanVeths = seen.links.filter(
      (l) => l.kind === 'veth' && l.name.startsWith(HOST_VETH_PREFIX) && !liveVeths.has(l.name),
    );
    const dying = new Set(orphanVeths.map((l) => l.name));
    for (const r of seen.routes) {
      if (r.protocol !== String(ROUTE_PROTO) || (r.dev && dying.has(r.dev))) continue;
      const orphanPodRoute = r.table === 'main' && !liveIps.has(r.dst);
      const orphanTable = isOurTable(r.table) && !wantedTables.has(r.table);
      if (orphanPodRoute || orphanTable) {
        changes.push({
          op: 'routeDel',
          dst: r.dst,
          ...(r.table === 'main' ? {} : { table: Number(r.table) }),
        });
      }
    }
    for (const l of orphanVeths) changes.push({ op: 'linkDel', dev: l.name });
  }
  return { sysctls, changes };
};
