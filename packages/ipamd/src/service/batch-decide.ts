import {
  type CommandMeta,
  type CrossCommand,
  crossToAppends,
  decideCross,
  type EventEnvelope,
  evolveNode,
  evolveSubnet,
  initialSubnetState,
  type NodeCommand,
  type NodeState,
  type StreamAppend,
  type SubnetState,
} from '@eni-ipam/core';
import type { NodeOrCrossInput } from './command-service.js';

export interface BatchItem {
  input: NodeOrCrossInput;
  meta: CommandMeta;
}

export type BatchOutcome = { ok: true; appended: number } | { ok: false; error: unknown };

export interface BatchDecision {
  /** One append per stream touched, events of all accepted commands in order. */
  appends: StreamAppend[];
  /** Per item, in order: how many events it appended, or why core refused it. */
  outcomes: BatchOutcome[];
}

/**
 * Decides several commands of ONE node in order, each against the state the previous ones
 * leave (core's evolve functions applied locally), and merges their appends per stream, so a
 * burst of commands on a node costs one optimistic append (one etcd transaction) instead of
 * one round trip each. A command core refuses is reported in its outcome and leaves the state
 * as it was for the next one. Event ids stay `${command id}:k`, so a retried batch is
 * recognised by the store like a retried command.
 */
export const decideBatch = (
  items: readonly BatchItem[],
  node0: NodeState,
  subnets0: Readonly<Record<string, SubnetState>>,
): BatchDecision => {
  let node = node0;
  let subnets = subnets0;
  const merged: Merged = new Map();
  const outcomes: BatchOutcome[] = [];
  for (const [i, { input, meta }] of items.entries()) {
    const cmd = { ...input, ...meta } as NodeCommand | CrossCommand;
    let parts: StreamAppend[];
    let next: { node: NodeState; subnets: Readonly<Record<string, SubnetState>> };
    try {
      const d = decideCross(cmd, node, subnets);
      parts = crossToAppends(d, cmd, node, subnets);
      if (i === items.length - 1) {
        // nothing decides after the last command: its evolved state would be thrown away, and
        // evolving a subnet copies its address map (tens of ms for a full /16)
        outcomes.push({ ok: true, appended: merge(merged, parts) });
        continue;
      }
      let n = node;
      for (const e of d.node) n = evolveNode(n, { ...e, at: meta.at });
      let s = subnets;
      if (d.subnet && d.subnet.events.length > 0) {
        let st = subnets[d.subnet.subnetId] ?? initialSubnetState();
        for (const e of d.subnet.events) st = evolveSubnet(st, e);
        s = { ...subnets, [d.subnet.subnetId]: st };
      }
      next = { node: n, subnets: s };
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    node = next.node;
    subnets = next.subnets;
    outcomes.push({ ok: true, appended: merge(merged, parts) });
  }
  return { appends: [...merged.values()], outcomes };
};

type Merged = Map<string, { stream: string; expectedVersion: number; events: EventEnvelope[] }>;

/** Adds a command's appends to the batch's, one per stream; returns how many events it added. */
const merge = (merged: Merged, parts: readonly StreamAppend[]): number => {
  let appended = 0;
  for (const part of parts) {
    const m = merged.get(part.stream);
    if (m) m.events.push(...part.events);
    else
      merged.set(part.stream, { stream: part.stream, expectedVersion: part.expectedVersion, events: [...part.events] });
    appended += part.events.length;
  }
  return appended;
};
