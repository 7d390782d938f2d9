/**
 * The nemesis: one fault every few seconds, in rotation so a short run sees every kind. Killed
 * replicas are restarted; partitions are healed; each fault is recorded with when it started and
 * when it ended, and the driver measures recovery as the first acknowledged operation after it.
 */
import { createEtcdClient, LeaderElection } from '@eni-ipam/store';
import type { NsEtcdCluster } from './netns-etcd.js';
import type { IpamdProcess, SimProcess } from './processes.js';

export const FAULT_KINDS = [
  'kill-leader',
  'partition-etcd-leader',
  'pause-leader',
  'restart-etcd-member',
  'kill-follower',
  'restart-simulator',
  'partition-etcd-member',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  startedAt: number;
  endedAt: number;
  /** First acknowledged operation after the fault started, ms after it ended (filled later). */
  recoveredMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface NemesisOptions {
  etcd: NsEtcdCluster;
  replicas: IpamdProcess[];
  sim: SimProcess;
  prefix: string;
  everyMs: number;
  /** Longer than the election lease (5 s). */
  pauseMs: number;
  partitionMs: number;
  log: (msg: string) => void;
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private stopped = false;
  private readonly client;
  private readonly observer;

  constructor(private readonly o: NemesisOptions) {
    this.client = createEtcdClient({ endpoints: o.etcd.endpoints });
    this.observer = new LeaderElection({ client: this.client, prefix: o.prefix, candidate: 'chaos-observer' });
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.client.close();
  }

  private async leaderReplica(): Promise<IpamdProcess | undefined> {
    try {
      const l = await this.observer.leader();
      return this.o.replicas.find((r) => r.url !== undefined && r.url === l?.candidate && r.running);
    } catch {
      return undefined;
    }
  }

  async run(): Promise<void> {
    let i = 0;
    while (!this.stopped) {
      await sleep(this.o.everyMs);
      if (this.stopped) break;
      await this.superviseReplicas();
      const kind = FAULT_KINDS[i++ % FAULT_KINDS.length] as FaultKind;
      const startedAt = Date.now();
      const target = await this.inject(kind);
      this.faults.push({ kind, target, startedAt, endedAt: Date.now() });
      this.o.log(`fault ${kind} on ${target}: ${Date.now() - startedAt} ms`);
    }
  }

  /** Restarts replicas that exited on their own (as Kubernetes would); their crashes are reported. */
  async superviseReplicas(): Promise<void> {
    for (const r of this.o.replicas) {
      if (r.running) continue;
      this.o.log(`replica ${r.o.id} exited on its own (${r.crashes.at(-1)?.exit ?? '?'}): restarting`);
      await r.start().catch((e: unknown) => this.o.log(`restart of ${r.o.id} failed: ${String(e)}`));
    }
  }

  private async inject(kind: FaultKind): Promise<string> {
    const { etcd, replicas, sim } = this.o;
    switch (kind) {
      case 'kill-leader':
      case 'kill-follower': {
        const leader = await this.leaderReplica();
        const victim = kind === 'kill-leader' ? leader : replicas.find((r) => r !== leader && r.running && !r.paused);
        if (!victim) return 'none (no leader/follower found)';
        await victim.kill();
        await sleep(1000);
        await victim.start();
        return victim.o.id;
      }
      case 'pause-leader': {
        const leader = await this.leaderReplica();
        if (!leader) return 'none (no leader found)';
        leader.pause();
        await sleep(this.o.pauseMs);
        leader.cont();
        return leader.o.id;
      }
      case 'partition-etcd-leader':
      case 'partition-etcd-member': {
        const leader = await etcd.leaderIndex();
        const idx =
          kind === 'partition-etcd-leader' || leader === undefined ? (leader ?? 0) : (leader + 1) % etcd.members.length;
        etcd.partition(idx);
        await sleep(this.o.partitionMs);
        etcd.heal(idx);
        await etcd.waitHealthy();
        return `${etcd.members[idx]?.name}${kind === 'partition-etcd-leader' ? ' (raft leader)' : ''}`;
      }
      case 'restart-etcd-member': {
        const idx = Math.floor(Math.random() * etcd.members.length);
        await etcd.restart(idx);
        return etcd.members[idx]?.name ?? '?';
      }
      case 'restart-simulator':
        await sim.restart();
        return 'vpc-sim';
    }
  }
}
