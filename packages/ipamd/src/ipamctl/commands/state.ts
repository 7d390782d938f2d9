import {
  type ClaimEntry,
  type ClusterConfig,
  claimsIndex,
  type NodePoolView,
  nodePoolView,
  type PendingIntent,
  type Projection,
  project,
  type SubnetPoolView,
  subnetPoolView,
} from '@eni-ipam/core';
import type { LoggedEvent } from './load.js';

/** What `ipamctl state`, `status`, `nodes` and `node` print: read models of a projection. */
export interface ClusterView {
  revision: number;
  /** Time of the last event folded (absent on an empty log). */
  lastEventAt?: string;
  config?: ClusterConfig;
  nodes: NodePoolView[];
  subnets: SubnetPoolView[];
  claims: Record<string, ClaimEntry>;
  /** Unresolved cloud intents per node. */
  intents: Record<string, PendingIntent[]>;
  /** Containers still refused an address, per node. */
  refusals: Record<string, { containerId: string; code: string; reason: string }[]>;
}

export const viewOf = (p: Projection, lastEventAt?: string): ClusterView => {
  const subnets = Object.values(p.subnets).filter((s) => s.registered);
  const zones = [
    ...new Set(subnets.filter((s) => p.cluster.config?.subnets.includes(s.subnetId) ?? true).map((s) => s.zone)),
  ];
  const nodes = Object.values(p.nodes).sort((a, b) => (a.node < b.node ? -1 : 1));
  const view: ClusterView = {
    revision: p.revision,
    nodes: nodes.map((n) => nodePoolView(n, zones)),
    subnets: subnets.map(subnetPoolView).sort((a, b) => (a.subnetId < b.subnetId ? -1 : 1)),
    claims: claimsIndex(subnets),
    intents: Object.fromEntries(nodes.map((n) => [n.node, Object.values(n.intents)])),
    refusals: Object.fromEntries(
      nodes.map((n) => [n.node, Object.entries(n.refusals).map(([containerId, r]) => ({ containerId, ...r }))]),
    ),
  };
  if (p.cluster.config) view.config = p.cluster.config;
  if (lastEventAt) view.lastEventAt = lastEventAt;
  return view;
};

/** Folds the events (already cut at the wanted point) and returns the read models. */
export const stateOf = (events: readonly LoggedEvent[]): ClusterView =>
  viewOf(project(events), events[events.length - 1]?.at);

export interface StatusSummary {
  revision: number;
  events: number;
  lastEventAt?: string;
  nodes: Record<string, number>;
  subnets: number;
  bound: number;
  allocated: number;
  free: number;
  exclusivePods: number;
  claims: number;
  pendingIntents: number;
  waitingPods: number;
  preBind?: { min: number; max: number };
  poolPolicy?: string;
}

export const statusOf = (events: readonly LoggedEvent[]): StatusSummary => {
  const v = stateOf(events);
  const sum = (f: (n: NodePoolView) => number) => v.nodes.reduce((a, n) => a + f(n), 0);
  const byStatus: Record<string, number> = {};
  for (const n of v.nodes) byStatus[n.status] = (byStatus[n.status] ?? 0) + 1;
  const s: StatusSummary = {
    revision: v.revision,
    events: events.length,
    nodes: byStatus,
    subnets: v.subnets.length,
    bound: sum((n) => n.counts.bound),
    allocated: sum((n) => n.counts.allocated),
    free: sum((n) => n.counts.free),
    exclusivePods: sum((n) => n.counts.exclusivePods),
    claims: Object.keys(v.claims).length,
    pendingIntents: Object.values(v.intents).reduce((a, l) => a + l.length, 0),
    waitingPods: Object.values(v.refusals).reduce((a, l) => a + l.length, 0),
  };
  if (v.lastEventAt) s.lastEventAt = v.lastEventAt;
  if (v.config) {
    s.preBind = v.config.preBind;
    s.poolPolicy = v.config.poolPolicy;
  }
  return s;
};
