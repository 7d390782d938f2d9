/**
 * The live progress: what the demo's parts say right now (pods from the kubelet simulation, the
 * pools from ipamd's introspection API, ENIs and cloud calls from the simulator, events written
 * from etcd, the leader from each replica's `eni_ipam_leader`). Redrawn in place every second on a
 * terminal, one plain line every few seconds otherwise.
 */
import type { Cluster } from './cluster.js';
import type { KubeletSim } from './kubelet.js';
import { metricValue } from './replicas.js';

export interface Snapshot {
  elapsedS: number;
  phase: string;
  pods: { running: number; pending: number; web: number; db: number; edge: number };
  shared: { bound: number; allocated: number };
  exclusive: { bound: number; allocated: number };
  enis: number;
  cloudCalls: number;
  events: number;
  leader: string;
}

export class StatusBoard {
  private events = 0;
  private lastPlain = 0;
  private drawn = 0;
  phase = 'starting';
  readonly started = Date.now();

  constructor(
    private readonly cluster: Cluster,
    private readonly kubelet: KubeletSim,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  async leader(): Promise<string | undefined> {
    for (const r of this.cluster.replicas) {
      const m = await r.metrics();
      if (m && metricValue(m, 'eni_ipam_leader') === 1) return r.spec.id;
    }
    return undefined;
  }

  /** GET on the ipamd Service with the admin token (any replica answers reads). */
  private async api<T>(path: string): Promise<T | undefined> {
    try {
      const res = await fetch(`${this.cluster.service.url}${path}`, {
        headers: { authorization: `Bearer ${this.cluster.adminToken}` },
        signal: AbortSignal.timeout(3_000),
      });
      return res.ok ? ((await res.json()) as T) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Events in the log: the keys under `<prefix>/log/`, counted by etcd (its JSON gateway). */
  async eventCount(): Promise<number | undefined> {
    const key = Buffer.from(`${this.cluster.prefix}/log/`);
    const end = Buffer.from(key);
    end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
    for (const endpoint of this.cluster.etcd.endpoints) {
      try {
        const res = await fetch(`${endpoint}/v3/kv/range`, {
          method: 'POST',
          body: JSON.stringify({ key: key.toString('base64'), range_end: end.toString('base64'), count_only: true }),
          signal: AbortSignal.timeout(3_000),
        });
        if (res.ok) return Number(((await res.json()) as { count?: string }).count ?? 0);
      } catch {
        // the next endpoint
      }
    }
    return undefined;
  }

  async snapshot(): Promise<Snapshot> {
    let leader = '(election)';
    for (const r of this.cluster.replicas) {
      const m = await r.metrics();
      if (m && metricValue(m, 'eni_ipam_leader') === 1) leader = r.spec.id;
    }
    const [enis, details, events] = await Promise.all([
      this.api<{ enis: { mode: string; status: string; ips: string[] }[] }>('/v1/enis'),
      Promise.all(this.cluster.nodes.map((n) => this.api<{ allocations: { mode: string }[] }>(`/v1/nodes/${n.name}`))),
      this.eventCount(),
    ]);
    if (events !== undefined) this.events = events;
    const attached = (enis?.enis ?? []).filter((e) => e.status === 'attached');
    const allocations = details.flatMap((d) => d?.allocations ?? []);
    const stats = this.cluster.sim.stats();
    const k = this.kubelet;
    return {
      elapsedS: Math.round((Date.now() - this.started) / 1000),
      phase: this.phase,
      pods: {
        running: k.count(undefined, 'running'),
        pending: k.count(undefined, 'pending'),
        web: k.count('web', 'running'),
        db: k.count('db', 'running'),
        edge: k.count('edge', 'running'),
      },
      shared: {
        bound: attached.filter((e) => e.mode === 'shared').reduce((n, e) => n + e.ips.length, 0),
        allocated: allocations.filter((a) => a.mode === 'shared').length,
      },
      exclusive: {
        bound: attached.filter((e) => e.mode === 'exclusive').length,
        allocated: allocations.filter((a) => a.mode === 'exclusive').length,
      },
      enis: this.cluster.sim.dump().enis.filter((e) => e.instanceId).length,
      cloudCalls: Object.values(stats).reduce(
        (n, byOutcome) => n + Object.values(byOutcome).reduce((a, b) => a + b, 0),
        0,
      ),
      events: this.events,
      leader,
    };
  }

  static render(s: Snapshot): string[] {
    const pad = (v: string | number, n: number) => String(v).padStart(n);
    return [
      `[${pad(s.elapsedS, 3)} s] ${s.phase}`,
      `  pods     running ${pad(s.pods.running, 4)}  pending ${pad(s.pods.pending, 3)}   (web ${s.pods.web}, db ${s.pods.db}, edge ${s.pods.edge})`,
      `  shared   IPs bound ${pad(s.shared.bound, 4)}  allocated ${pad(s.shared.allocated, 4)}`,
      `  excl.    ENIs bound ${pad(s.exclusive.bound, 3)}  allocated ${pad(s.exclusive.allocated, 4)}`,
      `  cloud    ENIs attached ${pad(s.enis, 3)}  VPC API calls ${pad(s.cloudCalls, 5)}   events written ${pad(s.events, 6)}   leader ${s.leader}`,
    ];
  }

  static line(s: Snapshot): string {
    return (
      `[${String(s.elapsedS).padStart(3)} s] ${s.phase}: pods ${s.pods.running} running / ${s.pods.pending} pending` +
      ` (web ${s.pods.web}, db ${s.pods.db}, edge ${s.pods.edge}); shared IPs ${s.shared.allocated}/${s.shared.bound} allocated/bound;` +
      ` exclusive ENIs ${s.exclusive.allocated}/${s.exclusive.bound}; ENIs ${s.enis}; cloud calls ${s.cloudCalls};` +
      ` events ${s.events}; leader ${s.leader}`
    );
  }

  /** Prints a message above the live table (the table is redrawn below it). */
  say(msg: string): void {
    this.clear();
    this.out.write(`${msg}\n`);
  }

  async tick(): Promise<Snapshot> {
    const s = await this.snapshot();
    if (this.out.isTTY) {
      this.clear();
      const lines = StatusBoard.render(s);
      this.out.write(`${lines.join('\n')}\n`);
      this.drawn = lines.length;
    } else if (Date.now() - this.lastPlain >= 5_000) {
      this.lastPlain = Date.now();
      this.out.write(`${StatusBoard.line(s)}\n`);
    }
    return s;
  }

  /** Leaves the last table on screen (it is not erased by the next message). */
  freeze(): void {
    this.drawn = 0;
  }

  private clear(): void {
    if (this.out.isTTY && this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}
