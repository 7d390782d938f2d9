import { defaultTagKeys, type EniTagKeys } from '@eni-ipam/cloud';
import {
  type Eni,
  type Ipv4,
  isIpamError,
  type NodeState,
  type PendingIntent,
  pickPrimaryAddress,
  type Tag,
  type VpcApi,
} from '@eni-ipam/core';
import PQueue from 'p-queue';
import type { CommandService, NodeOrCrossInput } from '../service/command-service.js';
import type { ProjectionHost } from '../service/projection-host.js';

export interface CloudExecutorOptions {
  host: ProjectionHost;
  commands: CommandService;
  vpc: VpcApi;
  /**
   * The same VPC served first from the shared rate budget (`TencentVpcApi.withPriority('pod')`),
   * for calls a waiting pod depends on. Default: `vpc`.
   */
  vpcForPods?: VpcApi;
  /** Tagged on every ENI created, with the intent id, so a create can be found again. */
  clusterId: string;
  tagKeys?: EniTagKeys;
  /** Cloud calls in flight at once. Default 4. */
  concurrency?: number;
  /** After a retryable failure (the adapter's own retries spent), try again after this. Default 5 s. */
  retryAfterMs?: number;
  /** Errors that are not recorded as outcomes (the intent stays pending), for logs. */
  onError?: (intentId: string, error: unknown) => void;
  /** A bound address the cloud no longer has on its ENI (recorded `IpsLost`), for logs and metrics. */
  onAddressLost?: (lost: { node: string; eniId: string; ip: string; why: string }) => void;
}

/** What one intent's cloud call resolved to. */
type Outcome = { ok: true; record: NodeOrCrossInput } | { ok: false; code: string; message: string };

/** Error codes that leave the intent pending (tried again later): the call may not have happened. */
const TRANSIENT = new Set(['CloudRetryable', 'CloudAmbiguous', 'StoreUnavailable', 'NotLeader', 'AmbiguousOutcome']);

/**
 * Turns pending cloud intents (`EniCreateRequested`, attach, detach, delete, `IpBindRequested`,
 * `IpUnbindRequested` without an outcome) into VPC calls and their outcomes into `Record*`
 * events. Every call carries the intent's client token (its intent id). An ambiguous or
 * retryable failure is resolved by looking at the cloud (a create by its intent tag, never a
 * second ENI; the others by the ENI's state); only when the cloud shows the change did not
 * happen is the call made again. Intents pending at start (a crash between call and outcome)
 * are looked up before any call. Pod work (binds for a pod, nodes with waiting pods) runs
 * before warm-pool refill.
 */
export class CloudExecutor {
  private readonly queue: PQueue;
  private readonly inFlight = new Set<string>();
  private readonly lookFirst = new Set<string>();
  private readonly parked = new Set<string>();
  private readonly tagKeys: EniTagKeys;
  private unlisten: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The primary address each create in flight asked for, by intent id. */
  private readonly primaries = new Map<string, Ipv4>();

  constructor(private readonly o: CloudExecutorOptions) {
    this.queue = new PQueue({ concurrency: o.concurrency ?? 4 });
    this.tagKeys = o.tagKeys ?? defaultTagKeys;
  }

  /** Resolves every intent left pending (crash recovery), then follows new intents. */
  start(): void {
    for (const s of Object.values(this.o.host.projection.nodes))
      for (const id of Object.keys(s.intents)) this.lookFirst.add(id);
    this.unlisten = this.o.host.onEvents((events) => {
      const nodes = new Set(events.filter((e) => e.stream.startsWith('node/')).map((e) => e.stream.slice(5)));
      for (const n of nodes) this.scanNode(n);
    });
    this.scan();
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    this.unlisten = undefined;
    if (this.timer) clearTimeout(this.timer);
    // a later start() (leadership regained) begins afresh: a parked intent left parked with no
    // retry timer would stay pending for good
    this.timer = undefined;
    this.parked.clear();
    this.queue.clear();
    await this.queue.onIdle();
  }

  /** Calls queued or running. */
  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  /** Resolves when no call is queued or running. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Queues every pending intent that is not in flight nor waiting for its retry time. */
  scan(): void {
    for (const n of Object.keys(this.o.host.projection.nodes)) this.scanNode(n);
  }

  private scanNode(node: string): void {
    const s = this.o.host.node(node);
    const podsWaiting = Object.keys(s.refusals).length > 0;
    for (const intent of Object.values(s.intents)) {
      const id = intent.intentId;
      if (this.inFlight.has(id)) continue;
      if (this.parked.has(id)) continue;
      this.inFlight.add(id);
      const priority = intent.forPod !== undefined || podsWaiting ? 1 : 0;
      this.queue
        .add(() => this.execute(node, id, priority > 0), { priority })
        .finally(() => this.inFlight.delete(id))
        .catch(() => undefined);
    }
  }

  private async execute(node: string, intentId: string, forPods: boolean): Promise<void> {
    const s = this.o.host.node(node);
    const intent = s.intents[intentId];
    if (!intent) return; // resolved meanwhile
    try {
      const vpc = forPods ? (this.o.vpcForPods ?? this.o.vpc) : this.o.vpc;
      let outcome = this.lookFirst.has(intentId) ? await this.lookup(vpc, s, intent) : undefined;
      outcome ??= await this.call(vpc, s, intent);
      this.lookFirst.delete(intentId);
      const record = outcome.ok ? outcome.record : this.failure(node, intent, outcome.code, outcome.message);
      if (record.type === 'RecordEniCreated') await this.settlePrimary(node, intent.subnetId ?? '', record);
      await this.o.commands.node(record, { eventId: intentId });
    } catch (e) {
      // the cloud call may or may not have happened: look before calling again
      this.lookFirst.add(intentId);
      this.park(intentId);
      this.o.onError?.(intentId, e);
    } finally {
      // recorded (the subnet now shows the address), failed, or parked (a retry picks again)
      this.primaries.delete(intentId);
    }
  }

  /**
   * The cloud gave a new ENI a primary address that the log still has bound on another ENI: the
   * cloud cannot hold it twice, so that ENI lost it (a change that escaped our fencing, or not
   * ours). Recorded lost first, releasing its pod, so the log never shows one address on two ENIs.
   * Reserved (a bind in flight, which the cloud will refuse) or another ENI's primary (a delete in
   * flight): the create's record is refused until that outcome is in, and tried again.
   */
  private async settlePrimary(
    node: string,
    subnetId: string,
    created: { eniId?: string; primaryIp?: string },
  ): Promise<void> {
    const ip = created.primaryIp ?? '';
    const held = this.o.host.subnet(subnetId).addresses[ip];
    if (held?.status !== 'bound' || held.eniId === created.eniId) return;
    const why = `the cloud gave ${ip} to new ENI ${created.eniId} of ${node} as its primary`;
    await this.o.commands.node({ type: 'RecordIpsLost', node: held.node, eniId: held.eniId, ips: [ip], why });
    this.o.onAddressLost?.({ node: held.node, eniId: held.eniId, ip, why });
  }

  private park(intentId: string): void {
    this.parked.add(intentId);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.unlisten) this.retryNow();
    }, this.o.retryAfterMs ?? 5_000);
    this.timer.unref();
  }

  /** Tries every parked intent again now (the retry timer does this after `retryAfterMs`). */
  retryNow(): void {
    this.parked.clear();
    this.scan();
  }

  /** The cloud call of an intent; cloud errors that are final become failed outcomes. */
  private async call(vpc: VpcApi, s: NodeState, i: PendingIntent): Promise<Outcome> {
    const clientToken = i.intentId; // the deciders make an intent's client token its id
    const eniId = i.eniId ?? '';
    try {
      switch (i.op) {
        case 'create': {
          const config = this.o.host.projection.cluster.config;
          const subnetId = i.subnetId ?? '';
          // we choose the primary: left to the cloud, it may be an address the log holds. Not one
          // another create in flight asked for: the log shows it only once that create is recorded,
          // and two nodes creating at once would both ask for the same address (one ResourceInUse)
          const primaryIp = pickPrimaryAddress(this.o.host.subnet(subnetId), new Set(this.primaries.values()));
          if (primaryIp) this.primaries.set(i.intentId, primaryIp);
          const eni = await vpc.createEni({
            clientToken,
            vpcId: config?.vpcId ?? '',
            subnetId,
            name: `eni-ipam-${s.node}`.slice(0, 60),
            tags: this.intentTags(i.intentId),
            ...(primaryIp ? { primaryIp } : {}),
          });
          return this.created(s, i, eni);
        }
        case 'attach':
          await vpc.attachEni({ clientToken, eniId, instanceId: s.instanceId });
          return { ok: true, record: { type: 'RecordEniAttached', node: s.node, intentId: i.intentId } };
        case 'detach':
          await vpc.detachEni({ clientToken, eniId, instanceId: s.instanceId });
          return { ok: true, record: { type: 'RecordEniDetached', node: s.node, intentId: i.intentId } };
        case 'delete':
          await vpc.deleteEni({ clientToken, eniId });
          return { ok: true, record: { type: 'RecordEniDeleted', node: s.node, intentId: i.intentId } };
        case 'bind':
          await vpc.assignIps({ clientToken, eniId, ips: i.ips ?? [] });
          return { ok: true, record: { type: 'RecordIpsBound', node: s.node, intentId: i.intentId } };
        case 'unbind':
          await vpc.unassignIps({ clientToken, eniId, ips: i.ips ?? [] });
          return { ok: true, record: { type: 'RecordIpsUnbound', node: s.node, intentId: i.intentId } };
      }
    } catch (e) {
      if (!isIpamError(e)) throw e;
      if (TRANSIENT.has(e.code) || e.code === 'CloudInvalidState') {
        // a state error may be our own earlier call having taken effect: the cloud decides
        const seen = await this.lookup(vpc, s, i);
        if (seen) return seen;
        if (TRANSIENT.has(e.code)) throw e;
      }
      return { ok: false, code: e.code, message: e.message.slice(0, 2000) };
    }
  }

  /** The intent's effect as the cloud shows it, if it took place; undefined if not (yet). */
  private async lookup(vpc: VpcApi, s: NodeState, i: PendingIntent): Promise<Outcome | undefined> {
    const rec = (type: string) => ({
      ok: true as const,
      record: { type, node: s.node, intentId: i.intentId } as NodeOrCrossInput,
    });
    if (i.op === 'create') {
      const [eni] = await vpc.describeEnis({ tags: this.intentTags(i.intentId) });
      return eni && eni.state !== 'PENDING' ? this.created(s, i, eni) : undefined;
    }
    const [eni] = await vpc.describeEnis({ eniIds: [i.eniId ?? ''] });
    const ips = i.ips ?? [];
    switch (i.op) {
      case 'attach':
        return eni?.instanceId === s.instanceId && eni.state === 'AVAILABLE' ? rec('RecordEniAttached') : undefined;
      case 'detach':
        return eni && eni.instanceId === undefined && eni.state === 'AVAILABLE' ? rec('RecordEniDetached') : undefined;
      case 'delete':
        return eni === undefined ? rec('RecordEniDeleted') : undefined;
      case 'bind':
        return eni && ips.every((ip) => eni.secondaryIps.includes(ip)) ? rec('RecordIpsBound') : undefined;
      case 'unbind':
        return !eni || ips.every((ip) => !eni.secondaryIps.includes(ip)) ? rec('RecordIpsUnbound') : undefined;
    }
  }

  private created(s: NodeState, i: PendingIntent, eni: Eni): Outcome {
    const record: NodeOrCrossInput = {
      type: 'RecordEniCreated',
      node: s.node,
      intentId: i.intentId,
      eniId: eni.eniId,
      primaryIp: eni.primaryIp,
      mac: eni.mac,
    };
    return { ok: true, record };
  }

  private failure(node: string, i: PendingIntent, errorCode: string, message: string): NodeOrCrossInput {
    const base = { node, intentId: i.intentId, errorCode, message };
    if (i.op === 'bind') return { ...base, type: 'RecordIpBindFailed' };
    if (i.op === 'unbind') return { ...base, type: 'RecordIpUnbindFailed' };
    return { ...base, type: 'RecordEniOperationFailed' };
  }

  private intentTags(intentId: string): Tag[] {
    return [
      { key: this.tagKeys.cluster, value: this.o.clusterId },
      { key: this.tagKeys.intent, value: intentId },
    ];
  }
}
