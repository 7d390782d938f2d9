import { randomUUID } from 'node:crypto';
import {
  CLUSTER_STREAM,
  type Clock,
  type ClusterCommand,
  type CommandMeta,
  type CrossCommand,
  crossToAppends,
  currentVersion,
  decideCluster,
  decideCross,
  decideSubnet,
  type EventStore,
  type FencingToken,
  IpamError,
  initialNodeState,
  initialSubnetState,
  isIpamError,
  type NodeCommand,
  type StreamAppend,
  type SubnetCommand,
  subnetStream,
  toStreamAppend,
  type Writer,
} from '@eni-ipam/core';
import { KeyedLock } from './keyed-lock.js';
import type { ProjectionHost } from './projection-host.js';

/** A command as callers give it: everything but the meta, which the service adds. */
type Bare<C> = C extends unknown ? Omit<C, 'id' | 'at' | 'by'> : never;
export type NodeOrCrossInput = Bare<NodeCommand | CrossCommand>;
export type SubnetInput = Bare<SubnetCommand>;
export type ClusterInput = Bare<ClusterCommand>;

export interface CommandServiceOptions {
  store: EventStore;
  host: ProjectionHost;
  clock: Clock;
  /** This replica (its `term` is replaced by the fencing token's create revision). */
  writer: Writer;
  /** The leader's fencing token; undefined when this replica does not lead (then `NotLeader`). */
  fence: () => FencingToken | undefined;
  /** Re-decisions after a version conflict. Default 8. */
  maxRetries?: number;
  /** Command ids; default random UUIDs. */
  newId?: () => string;
  /** How long to wait for the projection to apply an append. Default 30 s. */
  waitMs?: number;
}

export interface CommandResult {
  /** Revision of the append, or the applied revision when the decision appended nothing. */
  revision: number;
  /** Number of events appended (0: nothing to do, e.g. a repeated idempotent command). */
  appended: number;
  /** The command id (event ids are `${id}:k`). */
  commandId: string;
}

/**
 * Executes commands: the state comes from the projection host, the decision from core, the
 * append is optimistic (`expectedVersion` of every stream it touches) and fenced by the leader
 * key. On `StreamVersionConflict` it waits until the projection has the stream's newer events
 * and decides again (bounded). The command id stays the same across those attempts, so the
 * event ids (`${id}:k`) of an append that did land are recognised by the store.
 * A decision touching a node and a subnet stream is appended in one transaction.
 * Commands of one node run one at a time on this replica: two of them would decide on the same
 * node version and all but one would conflict and decide again (under a burst of pods on one
 * node, up to `maxRetries` wasted etcd round trips each, then a 503). Group commit cannot put two
 * appends of one stream in one transaction anyway, so this costs no batching.
 */
export class CommandService {
  private readonly maxRetries: number;
  private readonly newId: () => string;
  private readonly waitMs: number;
  private readonly nodeLock = new KeyedLock();

  constructor(private readonly o: CommandServiceOptions) {
    this.maxRetries = o.maxRetries ?? 8;
    this.newId = o.newId ?? randomUUID;
    this.waitMs = o.waitMs ?? 30_000;
  }

  /** A node command or a cross-stream (node + subnet) command. */
  node(input: NodeOrCrossInput, cause?: CommandMeta['cause']): Promise<CommandResult> {
    return this.nodeLock.run(input.node, () =>
      this.run(cause, (meta) => {
        const cmd = { ...input, ...meta } as NodeCommand | CrossCommand;
        const p = this.o.host.projection;
        const node = p.nodes[cmd.node] ?? initialNodeState();
        return crossToAppends(decideCross(cmd, node, p.subnets), cmd, node, p.subnets);
      }),
    );
  }

  subnet(input: SubnetInput, cause?: CommandMeta['cause']): Promise<CommandResult> {
    return this.run(cause, (meta) => {
      const cmd = { ...input, ...meta } as SubnetCommand;
      const s = this.o.host.projection.subnets[cmd.subnetId] ?? initialSubnetState();
      const events = decideSubnet(cmd, s);
      return events.length ? [toStreamAppend(subnetStream(cmd.subnetId), s.version, events, cmd, currentVersion)] : [];
    });
  }

  cluster(input: ClusterInput, cause?: CommandMeta['cause']): Promise<CommandResult> {
    return this.run(cause, (meta) => {
      const cmd = { ...input, ...meta } as ClusterCommand;
      const s = this.o.host.projection.cluster;
      const events = decideCluster(cmd, s);
      return events.length ? [toStreamAppend(CLUSTER_STREAM, s.version, events, cmd, currentVersion)] : [];
    });
  }

  private async run(
    cause: CommandMeta['cause'] | undefined,
    decide: (meta: CommandMeta) => StreamAppend[],
  ): Promise<CommandResult> {
    const id = this.newId();
    for (let attempt = 0; ; attempt++) {
      const fence = this.o.fence();
      if (!fence) throw new IpamError('NotLeader', 'this replica does not lead: it cannot write');
      const meta: CommandMeta = {
        id,
        at: new Date(this.o.clock.now()).toISOString(),
        by: { replica: this.o.writer.replica, term: fence.createRevision },
        ...(cause ? { cause } : {}),
      };
      const appends = decide(meta);
      if (appends.length === 0) return { revision: this.o.host.appliedRevision, appended: 0, commandId: id };
      try {
        const { revision } = await this.o.store.append(appends, { fence });
        await this.o.host.waitFor(revision, this.waitMs);
        const appended = appends.reduce((n, a) => n + a.events.length, 0);
        return { revision, appended, commandId: id };
      } catch (e) {
        if (!isIpamError(e, 'StreamVersionConflict') || attempt >= this.maxRetries) throw e;
        // someone else appended first: let the projection see it, then decide again
        for (const a of appends) {
          const v = await this.o.store.streamVersion(a.stream);
          await this.o.host.waitForStream(a.stream, v, this.waitMs);
        }
      }
    }
  }
}
