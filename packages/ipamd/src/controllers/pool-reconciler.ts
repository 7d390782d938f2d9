import { type Clock, type PlanAction, type PoolMode, type PoolPlan, planPool, toPlannerInput } from '@eni-ipam/core';
import { timeSlicer } from '@eni-ipam/store';
import type { CommandService, NodeOrCrossInput } from '../service/command-service.js';
import type { ProjectionHost } from '../service/projection-host.js';

export interface PoolReconcilerOptions {
  host: ProjectionHost;
  commands: CommandService;
  clock: Clock;
  /** The node's pool mode. Default: shared. */
  modeOf?: (node: string) => PoolMode;
  /** Pods on the node waiting for an address (from Kubernetes); counted as pods. Default 0. */
  pendingPods?: (node: string) => number;
  /**
   * Wait this long after a wake-up before planning, so that a burst of pods on a node is
   * answered by one bind of several IPs (one cloud call, one subnet append) instead of one per
   * pod; the warm pool covers the pods meanwhile. Default 0 (plan on the next microtask).
   */
  settleMs?: number;
  /** Plan every node this often (the tick). Default: no timer (the owner calls `tick()`). */
  tickEveryMs?: number;
  /** Called with each node's plan (logs, metrics, Kubernetes Events on refusals). */
  onPlan?: (node: string, plan: PoolPlan) => void;
  /** An action whose command was refused (a stale plan; the next pass plans again), or a pass
   *  that failed before acting (`action` undefined). */
  onError?: (node: string, action: PlanAction | undefined, error: unknown) => void;
}

/** A plan action as the command that starts it (the cloud executor does the rest). */
export const actionToCommand = (node: string, a: PlanAction): NodeOrCrossInput => {
  switch (a.kind) {
    case 'bindIps':
      return { type: 'BindIps', node, eniId: a.eniId, count: a.count, why: a.why };
    case 'unbindIps':
      return {
        type: 'RequestIpUnbind',
        node,
        eniId: a.eniId,
        ips: [...a.ips],
        why: a.why,
        ...(a.paced ? { slowRelease: true as const } : {}),
      };
    case 'createEni':
      return { type: 'RequestEniCreate', node, subnetId: a.subnetId, why: a.why };
    case 'attachEni':
      return { type: 'RequestEniAttach', node, eniId: a.eniId, why: a.why };
    case 'detachEni':
      return {
        type: 'RequestEniDetach',
        node,
        eniId: a.eniId,
        why: a.why,
        ...(a.paced ? { slowRelease: true as const } : {}),
      };
    case 'deleteEni':
      return { type: 'RequestEniDelete', node, eniId: a.eniId, why: a.why };
  }
};

/**
 * Keeps each node's pool within its bounds: runs core's planner on the node's planner view and
 * turns the plan's actions into commands (intents; their outcomes come back from the cloud
 * executor and wake the node again). Runs per node on wake-ups (any event of the node stream,
 * a configuration change, a pod that found the pool empty) and for every node on `tick()`,
 * which the composition root calls on an interval and tests call directly (no sleeping).
 *
 * Slow release needs no state here: a paced unbind or detach is an intent whose event time
 * becomes the node's `lastReleaseAt`, which the planner reads back on the next pass; a plan
 * that wants a release not yet due returns `nextReleaseAt`, and the next tick after it acts.
 */
export class PoolReconciler {
  private readonly dirty = new Set<string>();
  private running: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly o: PoolReconcilerOptions) {}

  start(): void {
    this.unlisten = this.o.host.onEvents((events) => {
      for (const e of events) {
        if (e.stream.startsWith('node/')) this.wake(e.stream.slice(5));
        else if (e.stream === 'cluster') this.wakeAll();
      }
    });
    this.wakeAll();
    if (this.o.tickEveryMs) {
      this.ticker = setInterval(() => this.wakeAll(), this.o.tickEveryMs);
      this.ticker.unref();
    }
  }

  stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.dirty.clear();
    return this.idle();
  }

  /** Plans every node again (the periodic tick). */
  tick(): Promise<void> {
    for (const n of Object.keys(this.o.host.projection.nodes)) this.dirty.add(n);
    this.kick();
    return this.idle();
  }

  /** Plans this node soon (coalesced with other wake-ups); ignored while stopped (not leading). */
  wake(node: string): void {
    if (!this.unlisten) return;
    this.dirty.add(node);
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // a wake-up that came after the loop's last check but before this point
      if (this.dirty.size > 0 && this.unlisten) this.kick();
    });
  }

  /** True while a node waits to be planned or is being planned. */
  get busy(): boolean {
    return this.running !== undefined || this.dirty.size > 0;
  }

  /** Resolves when no node waits to be planned. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private wakeAll(): void {
    for (const n of Object.keys(this.o.host.projection.nodes)) this.wake(n);
  }

  private async drain(): Promise<void> {
    // let a burst of wake-ups coalesce
    const settle = this.o.settleMs ?? 0;
    await (settle > 0 ? new Promise((r) => setTimeout(r, settle)) : Promise.resolve());
    const slice = timeSlicer();
    while (this.dirty.size > 0) {
      await slice(); // a pass over many nodes leaves room for requests between them
      const [node] = this.dirty;
      if (node === undefined) break;
      this.dirty.delete(node);
      try {
        await this.reconcile(node);
      } catch (e) {
        this.o.onError?.(node, undefined, e); // the next wake-up or tick plans the node again
      }
    }
  }

  /** One pass over one node: plan, then issue the plan's commands in order. */
  async reconcile(node: string): Promise<PoolPlan | undefined> {
    const { host } = this.o;
    const config = host.projection.cluster.config;
    const s = host.node(node);
    if (!config || (s.status !== 'active' && s.status !== 'draining')) return undefined;
    const input = toPlannerInput(s, {
      config,
      subnets: host.projection.subnets,
      now: this.o.clock.now(),
      mode: this.o.modeOf?.(node) ?? 'shared',
      pendingPods: this.o.pendingPods?.(node) ?? 0,
    });
    const plan = planPool(input);
    this.o.onPlan?.(node, plan);
    for (const action of plan.actions) {
      try {
        await this.o.commands.node(actionToCommand(node, action));
      } catch (e) {
        this.o.onError?.(node, action, e);
        break; // later actions may depend on this one; the node is planned again on its next event
      }
    }
    return plan;
  }
}
