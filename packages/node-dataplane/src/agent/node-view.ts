import type { Eni, FeedEvent, NodeState, PodAllocation } from '../ipamd/api.js';

/** The agent's projection of its node: what ipamd says should exist on this host. */
export interface NodeView {
  readonly revision: number;
  readonly enis: ReadonlyMap<string, Eni>;
  readonly allocations: ReadonlyMap<string, PodAllocation>;
}

export const viewFromState = (s: NodeState): NodeView => ({
  revision: s.revision,
  enis: new Map(s.enis.map((e) => [e.id, e])),
  allocations: new Map(s.allocations.map((a) => [a.containerId, a])),
});

/** Pure: applies one feed event. Events at or below the view's revision are ignored (replays). */
export const evolveView = (view: NodeView, e: FeedEvent): NodeView => {
  if (e.revision <= view.revision) return view;
  const enis = new Map(view.enis);
  const allocations = new Map(view.allocations);
  switch (e.type) {
    case 'EniAttached':
      enis.set(e.eni.id, e.eni);
      break;
    case 'EniDetached':
      enis.delete(e.eniId);
      break;
    case 'IpAllocated':
      allocations.set(e.allocation.containerId, e.allocation);
      break;
    case 'IpReleased':
      allocations.delete(e.containerId);
      break;
    default: {
      const never: never = e;
      throw new Error(`unknown feed event ${JSON.stringify(never)}`);
    }
  }
  return { revision: e.revision, enis, allocations };
};
