import { defaultTagKeys, type EniTagKeys } from '@eni-ipam/cloud';
import type { Eni, NodeState, VpcApi } from '@eni-ipam/core';
import type { CommandService } from '../service/command-service.js';
import type { ProjectionHost } from '../service/projection-host.js';

/** A difference between the log and the cloud found by one audit pass. */
export type DriftFinding =
  /** Bound in the log, not on the ENI in the cloud: recorded lost (`IpsLost`, pods released). */
  | { kind: 'lost-ip'; node: string; eniId: string; ips: string[] }
  /** Secondary IPs on the ENI in the cloud that the log does not have (reported, not changed). */
  | { kind: 'unknown-ip'; node: string; eniId: string; ips: string[] }
  /** An ENI of the log that the cloud does not have (reported). */
  | { kind: 'missing-eni'; node: string; eniId: string }
  /** An ENI tagged with this cluster that no node of the log has, nor a create in flight: a leak (reported). */
  | { kind: 'unknown-eni'; eniId: string; intent?: string };

export interface CloudAuditOptions {
  host: ProjectionHost;
  commands: CommandService;
  vpc: VpcApi;
  clusterId: string;
  tagKeys?: EniTagKeys;
  /** One pass this often. Default: no timer (the owner calls `tick()`). */
  everyMs?: number;
  onFinding?: (finding: DriftFinding) => void;
  onError?: (error: unknown) => void;
}

/** ENIs and create intents whose cloud state may be moving now: not judged in this pass. */
const busy = (s: NodeState) => {
  const enis = new Set<string>();
  const creates = new Set<string>();
  for (const i of Object.values(s.intents)) {
    if (i.eniId) enis.add(i.eniId);
    if (i.op === 'create') creates.add(i.intentId);
  }
  return { enis, creates };
};

/**
 * Compares the log with the cloud, leader only: one paginated DescribeNetworkInterfaces of the
 * ENIs tagged with the cluster per pass. A bound address the cloud no longer has is recorded
 * lost (its pod released: its traffic goes nowhere, and the address must not be handed out
 * again); the other differences (unknown secondary IPs, ENIs missing or leaked) are reported for
 * the operator and `ipamctl verify --cloud`, not changed. What may be moving is not judged: ENIs
 * with an intent in flight, and every node whose stream changed while the cloud was read (a
 * bind recorded after the read began would otherwise look lost).
 */
export class CloudAudit {
  private ticker: NodeJS.Timeout | undefined;
  private running: Promise<DriftFinding[]> | undefined;
  private readonly tagKeys: EniTagKeys;

  constructor(private readonly o: CloudAuditOptions) {
    this.tagKeys = o.tagKeys ?? defaultTagKeys;
  }

  start(): void {
    if (!this.o.everyMs) return;
    this.ticker = setInterval(() => void this.tick().catch((e: unknown) => this.o.onError?.(e)), this.o.everyMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass; resolves with what it found (lost addresses already recorded). */
  tick(): Promise<DriftFinding[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<DriftFinding[]> {
    const before = new Map(Object.values(this.o.host.projection.nodes).map((s) => [s.node, s]));
    const known = new Set<string>();
    const creating = new Set<string>();
    const note = (s: NodeState) => {
      for (const id of Object.keys(s.enis)) known.add(id);
      for (const i of Object.values(s.intents)) if (i.op === 'create') creating.add(i.intentId);
    };
    for (const s of before.values()) note(s);
    const cloud = await this.o.vpc.describeEnis({ tags: [{ key: this.tagKeys.cluster, value: this.o.clusterId }] });
    const byId = new Map<string, Eni>(cloud.map((e) => [e.eniId, e]));
    const findings: DriftFinding[] = [];
    for (const now of Object.values(this.o.host.projection.nodes)) {
      note(now); // known before or now: an ENI deleted or created while we read is not a leak
      const then = before.get(now.node);
      if (then?.version !== now.version) continue; // changed while we read: next pass
      const moving = busy(now);
      for (const eni of Object.values(now.enis)) {
        if (moving.enis.has(eni.eniId)) continue;
        const c = byId.get(eni.eniId);
        if (!c) {
          findings.push({ kind: 'missing-eni', node: now.node, eniId: eni.eniId });
          continue;
        }
        const inCloud = new Set(c.secondaryIps);
        const lost = Object.values(eni.ips)
          .filter((i) => i.status === 'bound' && !inCloud.has(i.ip))
          .map((i) => i.ip);
        const unknown = c.secondaryIps.filter((ip) => eni.ips[ip] === undefined);
        if (lost.length) findings.push({ kind: 'lost-ip', node: now.node, eniId: eni.eniId, ips: lost });
        if (unknown.length) findings.push({ kind: 'unknown-ip', node: now.node, eniId: eni.eniId, ips: unknown });
      }
    }
    for (const c of cloud) {
      if (known.has(c.eniId)) continue;
      const intent = c.tags.find((t) => t.key === this.tagKeys.intent)?.value;
      if (intent && creating.has(intent)) continue; // its create's outcome is not recorded yet
      findings.push({ kind: 'unknown-eni', eniId: c.eniId, ...(intent ? { intent } : {}) });
    }
    for (const f of findings) {
      if (f.kind === 'lost-ip') {
        const why = 'cloud audit: no longer on the ENI in the cloud';
        await this.o.commands.node({ type: 'RecordIpsLost', node: f.node, eniId: f.eniId, ips: f.ips, why });
      }
      this.o.onFinding?.(f);
    }
    return findings;
  }
}
