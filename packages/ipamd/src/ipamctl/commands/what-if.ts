import type { ClusterConfig, NodeEvent, PoolMode, PreBind, SubnetEvent } from '@eni-ipam/core';
import type { LoggedEvent } from './load.js';
import { inWindow, type Window } from './parse.js';
import { type ChurnFigures, FigureCounter, WhatIfCluster } from './what-if-cluster.js';

export interface WhatIfReport {
  /** Bounds in force in the recorded log (the last configuration), if any. */
  recordedPreBind?: PreBind;
  preBind: PreBind;
  pods: number;
  recorded: ChurnFigures;
  replayed: ChurnFigures;
}

type Pod = { namespace: string; name: string };

/**
 * `ipamctl what-if --min-prebind N --max-prebind M`: replays the recorded pod churn (arrivals:
 * the first `AllocationRefused`, `IpAllocated` or `EniAssigned` of a container; departures:
 * `IpReleased` / `EniReturned`) in log order through core's deciders and planner with the other
 * bounds and an instantaneous cloud, and counts cloud calls (intents), peak bound IPs and pods
 * that waited, beside the same figures of the recorded log.
 *
 * Node and subnet facts (registration, limits) are replayed as recorded; the cluster
 * configuration as recorded with the bounds under test. With a window, only pods arriving in it
 * are replayed (facts are always replayed) and the recorded figures count events in it.
 * Claims are not replayed: a static pod is replayed as a plain pod.
 */
export const whatIf = (events: readonly LoggedEvent[], preBind: PreBind, w: Window = {}): WhatIfReport => {
  const modes: Record<string, PoolMode> = {};
  for (const e of events) if (e.type === 'EniAssigned') modes[e.stream.slice(5)] = 'exclusive';
  const sim = new WhatIfCluster(modes, preBind);
  const recorded = new FigureCounter();
  const arrived = new Set<string>();
  let pods = 0;
  let recordedPreBind: PreBind | undefined;
  for (const e of events) {
    sim.now = Math.max(sim.now, Date.parse(e.at));
    if (e.stream === 'cluster' && e.type === 'ConfigChanged') {
      const c = (e.data as { config: ClusterConfig }).config;
      recordedPreBind = c.preBind;
      sim.setConfig(c);
      continue;
    }
    if (e.stream.startsWith('subnet/')) {
      if (e.type === 'SubnetRegistered') sim.applySubnetFact(e.stream.slice(7), e as unknown as SubnetEvent);
      continue;
    }
    if (!e.stream.startsWith('node/')) continue;
    const node = e.stream.slice(5);
    const inside = inWindow(w, e.at);
    if (inside) recorded.add(node, e);
    const d = e.data as { pod?: Pod; containerId?: string };
    const key = `${node}/${d.containerId}`;
    switch (e.type) {
      case 'NodeRegistered':
      case 'NodeLimitsChanged':
        sim.applyNodeFact(node, e as unknown as NodeEvent & { at: string });
        sim.settle();
        break;
      case 'AllocationRefused':
      case 'IpAllocated':
      case 'EniAssigned':
        if (!arrived.has(key) && inside) {
          arrived.add(key);
          pods += 1;
          sim.podArrived(node, d.pod as Pod, d.containerId as string);
        }
        break;
      case 'IpReleased':
      case 'EniReturned':
        if (arrived.delete(key)) sim.podLeft(node, d.containerId as string);
        break;
      default:
        break;
    }
  }
  const report: WhatIfReport = {
    preBind,
    pods,
    recorded: recorded.figures,
    replayed: sim.counter.figures,
  };
  if (recordedPreBind) report.recordedPreBind = recordedPreBind;
  return report;
};
