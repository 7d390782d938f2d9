/**
 * The independent checker: its own record of what clients were told, and its own checks. It does
 * not use ipamd's projections: it sees only acknowledgements (with client-side timestamps), the
 * final answers of the API, the simulator's state and the raw log.
 */

export interface AckedAllocation {
  node: string;
  containerId: string;
  mode: 'shared' | 'exclusive';
  ip: string;
  eniId: string;
  /** `namespace/name` of a static pod (a StatefulSet pod with claim policy Never). */
  staticPod?: string;
  /** When the 200 came back (client clock, ms). */
  ackedAt: number;
  /** When the first DELETE for it was sent (from then on the address may be reused). */
  releaseSentAt?: number;
  /** When a DELETE was answered 204. */
  releaseAckedAt?: number;
}

export interface Violation {
  kind: 'double-holder' | 'lost-ack' | 'released-still-present' | 'replay-mismatch' | 'verify' | 'static-moved';
  detail: string;
}

export class History {
  readonly allocations: AckedAllocation[] = [];
  private readonly byContainer = new Map<string, AckedAllocation>();

  acked(a: Omit<AckedAllocation, 'releaseSentAt' | 'releaseAckedAt'>): AckedAllocation {
    const key = `${a.node}/${a.containerId}`;
    const prior = this.byContainer.get(key);
    // a repeated ADD returns the first allocation: keep the first record
    if (prior && prior.releaseSentAt === undefined) return prior;
    const rec: AckedAllocation = { ...a };
    this.allocations.push(rec);
    this.byContainer.set(key, rec);
    return rec;
  }

  releaseSent(node: string, containerId: string, at: number): void {
    const rec = this.byContainer.get(`${node}/${containerId}`);
    if (rec && rec.releaseSentAt === undefined) rec.releaseSentAt = at;
  }

  releaseAcked(node: string, containerId: string, at: number): void {
    const rec = this.byContainer.get(`${node}/${containerId}`);
    if (rec && rec.releaseAckedAt === undefined && rec.releaseSentAt !== undefined) rec.releaseAckedAt = at;
  }

  /** Allocations acknowledged and never released (no DELETE sent). */
  held(): AckedAllocation[] {
    return this.allocations.filter((a) => a.releaseSentAt === undefined);
  }
}

/**
 * No address held by two pods at once: a holder holds its address from its ack until its release
 * was sent (a conservative end: the server cannot have freed it earlier). Two holders of one
 * address whose intervals overlap are a violation. For exclusive pods the address is the ENI's
 * primary IP, and the ENI itself is checked the same way.
 */
export const doubleHolders = (allocations: readonly AckedAllocation[]): Violation[] => {
  const out: Violation[] = [];
  const check = (keyOf: (a: AckedAllocation) => string | undefined, what: string) => {
    const groups = new Map<string, AckedAllocation[]>();
    for (const a of allocations) {
      const k = keyOf(a);
      if (k === undefined) continue;
      const g = groups.get(k) ?? [];
      g.push(a);
      groups.set(k, g);
    }
    for (const [k, g] of groups) {
      const sorted = [...g].sort((x, y) => x.ackedAt - y.ackedAt);
      for (let i = 0; i < sorted.length; i++) {
        const a = sorted[i] as AckedAllocation;
        for (let j = i + 1; j < sorted.length; j++) {
          const b = sorted[j] as AckedAllocation;
          const aEnd = a.releaseSentAt ?? Number.POSITIVE_INFINITY;
          if (b.ackedAt >= aEnd) break;
          out.push({
            kind: 'double-holder',
            detail: `${what} ${k} held by ${a.node}/${a.containerId} (acked ${a.ackedAt}, release sent ${a.releaseSentAt ?? 'never'}) and ${b.node}/${b.containerId} (acked ${b.ackedAt})`,
          });
        }
      }
    }
  };
  check((a) => a.ip, 'address');
  check((a) => (a.mode === 'exclusive' ? a.eniId : undefined), 'exclusive ENI');
  return out;
};

/** What one node's `GET /state` answered: container id -> ip and ENI. */
export type LiveAllocations = ReadonlyMap<string, { ip: string; eniId: string }>;

/**
 * Every acknowledged allocation not released is present with its address; every release
 * acknowledged is gone. `live` is keyed `node/containerId`.
 */
export const lostAcks = (
  history: History,
  live: ReadonlyMap<string, { ip: string; eniId: string }>,
): { lost: Violation[]; stale: Violation[] } => {
  const lost: Violation[] = [];
  const stale: Violation[] = [];
  for (const a of history.allocations) {
    const key = `${a.node}/${a.containerId}`;
    const now = live.get(key);
    if (a.releaseSentAt === undefined) {
      if (!now || now.ip !== a.ip || now.eniId !== a.eniId) {
        lost.push({
          kind: 'lost-ack',
          detail: `${key}: acked ${a.ip} on ${a.eniId}, live ${now ? `${now.ip} on ${now.eniId}` : 'absent'}`,
        });
      }
    } else if (a.releaseAckedAt !== undefined && now && now.ip === a.ip) {
      stale.push({ kind: 'released-still-present', detail: `${key}: release acked, still holds ${now.ip}` });
    }
  }
  return { lost, stale };
};

/** ENI id -> its secondary addresses, sorted. */
export type EniIps = ReadonlyMap<string, readonly string[]>;

/** Differences between the cloud's ENIs (and their IPs) and the log's: leaks either way. */
export const cloudVsLog = (cloud: EniIps, log: EniIps): string[] => {
  const out: string[] = [];
  for (const [id, ips] of cloud) {
    const l = log.get(id);
    if (!l) out.push(`ENI ${id} in the cloud, not in the log (leak or duplicate ENI for an intent)`);
    else {
      const extra = ips.filter((x) => !l.includes(x));
      const missing = l.filter((x) => !ips.includes(x));
      if (extra.length) out.push(`ENI ${id}: IPs in the cloud, not in the log: ${extra.join(',')}`);
      if (missing.length) out.push(`ENI ${id}: IPs in the log, not in the cloud: ${missing.join(',')}`);
    }
  }
  for (const id of log.keys()) if (!cloud.has(id)) out.push(`ENI ${id} in the log, not in the cloud`);
  return out;
};

/** A claim event of the raw log: a name claims an address, or its claim ends (expired, deleted). */
export interface ClaimRecord {
  kind: 'created' | 'ended';
  pod: string;
  ip: string;
}

/**
 * Static pods keep their address: a name's claim, once made, is the address of every later
 * allocation of that name, on whichever node. A name claimed twice without its claim ending in
 * between, or an allocation of a claimed name at another address after its first claimed one, is a
 * violation. Allocations of a static name acked before its claim existed (the leader did not know
 * the pod's policy yet) are counted apart in `unclaimed`: a figure, not a violation.
 */
export const staticAddresses = (
  allocations: readonly AckedAllocation[],
  claims: readonly ClaimRecord[],
): { violations: Violation[]; unclaimed: number; names: number } => {
  const violations: Violation[] = [];
  const claimOf = new Map<string, string>();
  const ended = new Set<string>();
  for (const c of claims) {
    if (c.kind === 'ended') {
      ended.add(c.pod);
      claimOf.delete(c.pod);
      continue;
    }
    const prior = claimOf.get(c.pod);
    if (prior !== undefined && prior !== c.ip)
      violations.push({ kind: 'static-moved', detail: `${c.pod} claimed ${c.ip} while its claim on ${prior} stood` });
    claimOf.set(c.pod, c.ip);
  }
  const byName = new Map<string, AckedAllocation[]>();
  for (const a of allocations) {
    if (a.staticPod === undefined) continue;
    byName.set(a.staticPod, [...(byName.get(a.staticPod) ?? []), a]);
  }
  let unclaimed = 0;
  for (const [name, list] of byName) {
    const ip = claimOf.get(name);
    if (ended.has(name)) continue; // a claim that ended (expiry, deletion) may be made anew elsewhere
    const sorted = [...list].sort((x, y) => x.ackedAt - y.ackedAt);
    const first = ip === undefined ? -1 : sorted.findIndex((a) => a.ip === ip);
    unclaimed += first === -1 ? sorted.length : first;
    for (const a of first === -1 ? [] : sorted.slice(first)) {
      if (a.ip !== ip)
        violations.push({
          kind: 'static-moved',
          detail: `${name} claims ${ip} but ${a.node}/${a.containerId} was acked ${a.ip} (at ${a.ackedAt})`,
        });
    }
  }
  return { violations, unclaimed, names: byName.size };
};
