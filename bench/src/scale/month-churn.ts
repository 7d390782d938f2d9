/**
 * A month of pod churn in compressed time for bench item 8. The nodes are set up as in
 * cluster-log.ts (6 ENIs of 20 bound IPs each). Then, each simulated hour, every node starts
 * `startsPerHour` pods and stops as many of its oldest (IpAllocated / IpReleased with containerd-
 * style ids), with a steady `live` pods per node. Each node's hour is one append, and all the nodes
 * of an hour are written at once, the way group commit packs them.
 */
import { randomBytes } from 'node:crypto';
import type { EventEnvelope } from '@eni-ipam/core';
import type { EtcdEventStore } from '@eni-ipam/store';
import { ENIS_PER_NODE, eniOf, IPS_PER_ENI, ipOf, nodeEvents, nodeName } from './cluster-log.js';

export interface ChurnShape {
  nodes: number;
  /** Pods live on each node at any time. */
  live: number;
  startsPerHour: number;
}

interface Pod {
  containerId: string;
  name: string;
  uid: string;
  slot: number;
}

/** One node's churn: its stream version, its live pods and its free address slots. */
class NodeChurn {
  version = 0;
  private pods: Pod[] = [];
  private free: number[];
  private n = 0;

  constructor(readonly i: number) {
    this.free = Array.from({ length: ENIS_PER_NODE * IPS_PER_ENI }, (_, k) => k);
  }

  private envelope(type: string, data: unknown, at: number): EventEnvelope {
    this.version += 1;
    const node = nodeName(this.i);
    return {
      id: `${node}-${this.version}`,
      stream: `node/${node}`,
      seq: this.version,
      type,
      v: 1,
      at: new Date(at).toISOString(),
      by: { replica: 'ipamd-0', term: 1 },
      cause: {},
      data,
    };
  }

  private where(slot: number) {
    const e = Math.floor(slot / IPS_PER_ENI);
    return { ip: ipOf(this.i, e, (slot % IPS_PER_ENI) + 1), eniId: eniOf(this.i, e) };
  }

  setup(at: number): EventEnvelope[] {
    return nodeEvents(this.i, 0).map((e) => {
      this.version = e.seq;
      return { ...e, at: new Date(at).toISOString() };
    });
  }

  start(at: number): EventEnvelope {
    const slot = this.free.shift() as number;
    this.n += 1;
    const pod: Pod = {
      containerId: randomBytes(32).toString('hex'),
      name: `web-${this.i}-${this.n}-${randomBytes(3).toString('hex')}`,
      uid: crypto.randomUUID(),
      slot,
    };
    this.pods.push(pod);
    const { ip, eniId } = this.where(slot);
    return this.envelope(
      'IpAllocated',
      {
        pod: { namespace: 'default', name: pod.name, uid: pod.uid },
        containerId: pod.containerId,
        ip,
        eniId,
        why: 'pod sandbox created (CNI ADD)',
      },
      at,
    );
  }

  stop(at: number): EventEnvelope | undefined {
    const pod = this.pods.shift();
    if (!pod) return undefined;
    this.free.push(pod.slot);
    const { ip, eniId } = this.where(pod.slot);
    return this.envelope(
      'IpReleased',
      {
        pod: { namespace: 'default', name: pod.name, uid: pod.uid },
        containerId: pod.containerId,
        ip,
        eniId,
        why: 'pod sandbox removed (CNI DEL)',
      },
      at,
    );
  }

  get livePods(): number {
    return this.pods.length;
  }
}

export class MonthChurn {
  private readonly nodes: NodeChurn[];
  events = 0;
  /** Revision of the last append (the head of the log; etcd's own head also counts snapshot writes). */
  lastRevision = 0;

  constructor(
    private readonly store: EtcdEventStore,
    private readonly shape: ChurnShape,
  ) {
    this.nodes = Array.from({ length: shape.nodes }, (_, i) => new NodeChurn(i));
  }

  /** Registers the nodes with their ENIs and fills them to `live` pods. */
  async setup(at: number): Promise<void> {
    await this.write((n) => {
      const out = n.setup(at);
      while (n.livePods < this.shape.live) out.push(n.start(at));
      return out;
    });
  }

  /** One simulated hour of churn on every node. */
  async hour(at: number): Promise<void> {
    await this.write((n) => {
      const out: EventEnvelope[] = [];
      for (let k = 0; k < this.shape.startsPerHour; k++) {
        const stop = n.stop(at);
        if (stop) out.push(stop);
        out.push(n.start(at));
      }
      return out;
    });
  }

  private async write(eventsOf: (n: NodeChurn) => EventEnvelope[]): Promise<void> {
    const perAppend = 100; // + the head key: within etcd's 128 operations per transaction
    await Promise.all(
      this.nodes.map(async (n) => {
        const before = n.version;
        const events = eventsOf(n);
        for (let k = 0; k < events.length; k += perAppend) {
          const chunk = events.slice(k, k + perAppend);
          const r = await this.store.append([
            { stream: chunk[0]?.stream as string, expectedVersion: before + k, events: chunk },
          ]);
          this.lastRevision = Math.max(this.lastRevision, r.revision);
        }
        this.events += events.length;
      }),
    );
  }
}
