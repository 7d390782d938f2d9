import { randomUUID } from 'node:crypto';
import {
  CLUSTER_STREAM,
  type Clock,
  type ClusterCommand,
  type CommandMeta,
  type CrossCommand,
  currentVersion,
  decideCluster,
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
import { type BatchItem, decideBatch } from './batch-decide.js';
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
  /** Re-decisions after a version conflict (each one means another append got through). Default 32. */
  maxRetries?: number;
  /** Command ids; default random UUIDs. */
  newId?: () => string;
  /** How long to wait for the projection to apply an append. Default 30 s. */
  waitMs?: number;
  /** Most commands of one node decided and appended together. Default 16. */
  maxBatch?: number;
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
 * Commands of one node queue on this replica and are decided in batches (`decideBatch`): the
 * commands that arrived while the node's previous append was in flight are decided one after the
 * other on the locally evolved state and appended together, one transaction for the batch. Run
 * concurrently, they would all decide on the same node version and all but one would conflict
 * and decide again (under a burst of pods on one node: wasted round trips, then 503s); run one by
 * one, a node would manage one append per etcd round trip. Group commit then packs the batches of
 * different nodes into shared transactions.
 */
export class CommandService {
  private readonly maxRetries: number;
  private readonly newId: () => string;
  private readonly waitMs: number;
  private readonly maxBatch: number;
  /** Commands waiting per node; a node has an entry while its drain loop runs. */
  private readonly queues = new Map<string, Pending[]>();

  constructor(private readonly o: CommandServiceOptions) {
    this.maxRetries = o.maxRetries ?? 32;
    this.newId = o.newId ?? randomUUID;
    this.waitMs = o.waitMs ?? 30_000;
    this.maxBatch = Math.max(1, o.maxBatch ?? 16);
  }

  /** A node command or a cross-stream (node + subnet) command. */
  node(input: NodeOrCrossInput, cause?: CommandMeta['cause']): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      const item: Pending = { input, cause, id: this.newId(), resolve, reject };
      const queue = this.queues.get(input.node);
      if (queue) {
        queue.push(item);
        return;
      }
      this.queues.set(input.node, [item]);
      void this.drainNode(input.node);
    });
  }

  private async drainNode(node: string): Promise<void> {
    const queue = this.queues.get(node) ?? [];
    for (;;) {
      const batch = queue.splice(0, this.maxBatch);
      if (batch.length === 0) break;
      await this.runBatch(node, batch);
    }
    this.queues.delete(node);
  }

  /** Settles every item of the batch (never rejects itself). */
  private async runBatch(node: string, items: Pending[]): Promise<void> {
    let batch = items;
    try {
      for (let attempt = 0; ; attempt++) {
        const meta = this.meta();
        const p = this.o.host.projection;
        const withMeta: BatchItem[] = batch.map((b) => ({
          input: b.input,
          meta: { ...meta.meta, id: b.id, ...(b.cause ? { cause: b.cause } : {}) },
        }));
        const { appends, outcomes } = decideBatch(withMeta, p.nodes[node] ?? initialNodeState(), p.subnets);
        // a refusal is final (deciding again on a newer state is for conflicts only)
        const accepted: { item: Pending; appended: number }[] = [];
        outcomes.forEach((o, i) => {
          const item = batch[i] as Pending;
          if (o.ok) accepted.push({ item, appended: o.appended });
          else item.reject(o.error);
        });
        batch = accepted.map((a) => a.item);
        if (appends.length === 0) {
          for (const a of accepted)
            a.item.resolve({ revision: this.o.host.appliedRevision, appended: 0, commandId: a.item.id });
          return;
        }
        try {
          const { revision } = await this.o.store.append(appends, { fence: meta.fence });
          await this.o.host.waitFor(revision, this.waitMs);
          for (const a of accepted) a.item.resolve({ revision, appended: a.appended, commandId: a.item.id });
          return;
        } catch (e) {
          if (isIpamError(e, 'RequestTooLarge') && batch.length > 1) {
            // together they exceed one etcd transaction: one at a time (each fits, or fails alone)
            for (const item of batch) await this.runBatch(node, [item]);
            return;
          }
          if (!isIpamError(e, 'StreamVersionConflict') || attempt >= this.maxRetries) throw e;
          if (batch.length > 1) {
            // a shared stream (the subnet every node binds from) is contended: each command on its
            // own, so a pod's allocation (its node stream alone) never fails for another's bind
            await this.catchUp(appends);
            for (const item of batch) await this.runBatch(node, [item]);
            return;
          }
          await this.catchUp(appends);
          await backoff(attempt);
        }
      }
    } catch (e) {
      for (const item of batch) item.reject(e);
    }
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

  private meta(): { fence: FencingToken; meta: CommandMeta } {
    const fence = this.o.fence();
    if (!fence) throw new IpamError('NotLeader', 'this replica does not lead: it cannot write');
    const meta: CommandMeta = {
      id: '',
      at: new Date(this.o.clock.now()).toISOString(),
      by: { replica: this.o.writer.replica, term: fence.createRevision },
    };
    return { fence, meta };
  }

  /** After a version conflict: wait until the projection has the streams' newer events. */
  private async catchUp(appends: readonly StreamAppend[]): Promise<void> {
    for (const a of appends) {
      const v = await this.o.store.streamVersion(a.stream);
      await this.o.host.waitForStream(a.stream, v, this.waitMs);
    }
  }

  private async run(
    cause: CommandMeta['cause'] | undefined,
    decide: (meta: CommandMeta) => StreamAppend[],
  ): Promise<CommandResult> {
    const id = this.newId();
    for (let attempt = 0; ; attempt++) {
      const { fence, meta: base } = this.meta();
      const meta: CommandMeta = { ...base, id, ...(cause ? { cause } : {}) };
      const appends = decide(meta);
      if (appends.length === 0) return { revision: this.o.host.appliedRevision, appended: 0, commandId: id };
      try {
        const { revision } = await this.o.store.append(appends, { fence });
        await this.o.host.waitFor(revision, this.waitMs);
        const appended = appends.reduce((n, a) => n + a.events.length, 0);
        return { revision, appended, commandId: id };
      } catch (e) {
        if (!isIpamError(e, 'StreamVersionConflict') || attempt >= this.maxRetries) throw e;
        await this.catchUp(appends); // someone else appended first: decide again on what they wrote
        await backoff(attempt);
      }
    }
  }
}

/**
 * After a few conflicts in a row, a short random pause: every conflict means another append got
 * through (progress), but the losers of a hot stream should not all retry in lockstep.
 */
const backoff = (attempt: number): Promise<void> =>
  attempt < 3 ? Promise.resolve() : new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));

interface Pending {
  input: NodeOrCrossInput;
  cause: CommandMeta['cause'] | undefined;
  /** The command id, kept across re-decisions. */
  id: string;
  resolve(r: CommandResult): void;
  reject(e: unknown): void;
}
