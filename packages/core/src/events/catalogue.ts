import { type ClusterEvent, clusterEvents } from './cluster-events.js';
import type { EventSpec } from './common.js';
import { type NodeEvent, nodeEvents } from './node-events.js';
import { type SubnetEvent, subnetEvents } from './subnet-events.js';

/**
 * The event catalogue: every event type eni-ipam writes, with its current version and the
 * schema of its `data`. Part of the public interface: a published version's meaning never
 * changes; a change is a new version plus an upcaster (see decode.ts).
 */
export const eventCatalogue: Readonly<Record<string, EventSpec>> = {
  ...nodeEvents,
  ...subnetEvents,
  ...clusterEvents,
};

/** Any domain event `{ type, data }`. */
export type DomainEvent = NodeEvent | SubnetEvent | ClusterEvent;
export type EventType = DomainEvent['type'];

/** The stream kind of a stream name: `node`, `subnet` or `cluster`; undefined if none. */
export const streamKind = (stream: string): EventSpec['stream'] | undefined => {
  if (stream === 'cluster') return 'cluster';
  if (stream.startsWith('node/')) return 'node';
  if (stream.startsWith('subnet/')) return 'subnet';
  return undefined;
};

/** Current version of an event type (for writing envelopes). */
export const currentVersion = (type: string): number => {
  const spec = eventCatalogue[type];
  if (!spec) throw new Error(`no such event type ${type}`);
  return spec.v;
};
