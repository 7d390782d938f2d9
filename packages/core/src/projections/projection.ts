import { type ClusterState, evolveCluster, initialClusterState } from '../cluster/cluster.js';
import type { ClusterEvent } from '../events/cluster-events.js';
import type { DecodedEvent } from '../events/decode.js';
import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import { evolveNode } from '../node/evolve.js';
import { initialNodeState, type NodeState } from '../node/state.js';
import { evolveSubnet } from '../subnet/evolve.js';
import { initialSubnetState, type SubnetState } from '../subnet/state.js';

/** Every stream's state: what ipamd keeps hot and `ipamctl verify` rebuilds from the log. */
export interface Projection {
  nodes: Record<string, NodeState>;
  subnets: Record<string, SubnetState>;
  cluster: ClusterState;
  /** Global position of the last event applied (0 before any). */
  revision: number;
}

export const emptyProjection = (): Projection => ({
  nodes: {},
  subnets: {},
  cluster: initialClusterState(),
  revision: 0,
});

/**
 * Applies one decoded event to the projection (returns a new projection; the stream states
 * are immutable values). Events must come in stream order (the store guarantees it).
 */
export const applyEvent = (p: Projection, e: DecodedEvent): Projection => {
  const revision = e.revision ?? p.revision;
  if (e.stream.startsWith('node/')) {
    const name = e.stream.slice(5);
    const s = evolveNode(p.nodes[name] ?? initialNodeState(), { ...(e as NodeEvent), at: e.at });
    return { ...p, nodes: { ...p.nodes, [name]: s }, revision };
  }
  if (e.stream.startsWith('subnet/')) {
    const id = e.stream.slice(7);
    const s = evolveSubnet(p.subnets[id] ?? initialSubnetState(), e as SubnetEvent);
    return { ...p, subnets: { ...p.subnets, [id]: s }, revision };
  }
  return { ...p, cluster: evolveCluster(p.cluster, e as ClusterEvent), revision };
};

/** Folds events (in log order) from scratch. */
export const project = (events: Iterable<DecodedEvent>, from: Projection = emptyProjection()): Projection => {
  let p = from;
  for (const e of events) p = applyEvent(p, e);
  return p;
};
