import { type FencingToken, IpamError } from '@eni-ipam/core';
import type { Etcd3, Lease } from 'etcd3';
import { mapEtcdError } from './etcd-errors.js';
import { KeyLayout, prefixEnd } from './keys.js';

/**
 * | from         | on             | to           |
 * |--------------|----------------|--------------|
 * | idle         | campaign       | campaigning  |
 * | campaigning  | elected        | leader       |
 * | campaigning  | lease-lost     | lost         |
 * | leader       | lease-lost     | lost         |
 * | leader       | key-gone       | lost         |
 * | campaigning  | resign         | resigned     |
 * | leader       | resign         | resigned     |
 * | lost         | campaign       | campaigning  |
 * | resigned     | campaign       | campaigning  |
 * | idle, lost, resigned | resign | (unchanged: resigning when not leader succeeds) |
 */
export type LeadershipState = 'idle' | 'campaigning' | 'leader' | 'lost' | 'resigned';
export type LeadershipEvent = 'campaign' | 'elected' | 'lease-lost' | 'key-gone' | 'resign';

export const leadershipTransition = (from: LeadershipState, on: LeadershipEvent): LeadershipState => {
  switch (on) {
    case 'campaign':
      if (from === 'idle' || from === 'lost' || from === 'resigned') return 'campaigning';
      break;
    case 'elected':
      if (from === 'campaigning') return 'leader';
      break;
    case 'lease-lost':
      if (from === 'campaigning' || from === 'leader') return 'lost';
      break;
    case 'key-gone':
      if (from === 'leader') return 'lost';
      break;
    case 'resign':
      return from === 'campaigning' || from === 'leader' ? 'resigned' : from;
  }
  throw new IpamError('IllegalTransition', `leadership: ${on} in state ${from}`);
};

export interface LeaderElectionOptions {
  client: Etcd3;
  /** The store's key prefix (election keys go under `<prefix>/leader/<election>/`). */
  prefix: string;
  /** This candidate's id (the ipamd replica), stored as the key's value. */
  candidate: string;
  election?: string;
  /** Lease TTL, seconds. Default 5. */
  ttlSeconds?: number;
}

export interface LeaderInfo {
  key: string;
  candidate: string;
  createRevision: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Leader election on a lease-bound key per candidate: the lowest create revision leads (etcd's
 * concurrency recipe). The leader's fencing token is its key and create revision; appends compare
 * it, so a deposed leader cannot write. Loss is detected promptly, not after etcd3's 2xTTL
 * `lost` event: we send our own keepalives every TTL/4 and consider the lease lost once
 * 0.75xTTL passed since the last keepalive that was answered was *sent* (the server expires it at
 * least TTL after that), when a keepalive reports TTL 0, or when our key is gone.
 *
 * @example
 *   const el = new LeaderElection({ client, prefix: '/eni-ipam/c1', candidate: 'ipamd-0' });
 *   el.onLost(() => stopWriting());
 *   const fence = await el.campaign();
 *   await store.append(appends, { fence: el.fencingToken() });
 */
export class LeaderElection {
  state: LeadershipState = 'idle';
  private lease: Lease | undefined;
  private key: string | undefined;
  private createRevision = 0;
  private lastAckedSend = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly lostListeners = new Set<() => void>();
  private readonly ttlMs: number;
  private readonly electionPrefix: string;

  constructor(private readonly o: LeaderElectionOptions) {
    this.ttlMs = (o.ttlSeconds ?? 5) * 1000;
    this.electionPrefix = new KeyLayout(o.prefix).leaderPrefix(o.election ?? 'ipamd');
  }

  /** Called once each time leadership (or candidacy) is lost without resigning. */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** The token to pass to appends; throws NotLeader unless this candidate leads right now. */
  fencingToken(): FencingToken {
    if (this.state !== 'leader' || !this.key) {
      throw new IpamError('NotLeader', `candidate ${this.o.candidate} is not the leader (${this.state})`, {
        state: this.state,
      });
    }
    return { key: this.key, createRevision: this.createRevision };
  }

  /**
   * Throws NotLeader unless this candidate leads *by the lease clock now*, checked synchronously.
   * The watchdog timer notices an old lease only when it gets to run; a process that was paused
   * (SIGSTOP, a long GC, a blocked loop) resumes I/O callbacks before its timers, so whatever
   * acts outside etcd on its leadership (cloud calls, which etcd's fence cannot stop) asks here
   * first. The lease clock is conservative: 0.75 TTL after the last answered keepalive was sent.
   */
  assertLeading(): void {
    if (this.state === 'leader' && Date.now() - this.lastAckedSend > this.ttlMs * 0.75) this.loseLease();
    this.fencingToken();
  }

  /** Resolves with the fencing token once elected; rejects if the lease is lost or we resign first. */
  async campaign(): Promise<FencingToken> {
    this.state = leadershipTransition(this.state, 'campaign');
    const { client } = this.o;
    try {
      this.lease = client.lease(this.ttlMs / 1000, { autoKeepAlive: false });
      const leaseId = await this.lease.grant();
      this.lastAckedSend = Date.now();
      this.key = `${this.electionPrefix}${BigInt(leaseId).toString(16)}`;
      const res = await client
        .if(this.key, 'Create', '==', 0)
        .then(this.lease.put(this.key).value(this.o.candidate))
        .commit();
      this.createRevision = Number(res.header.revision);
    } catch (e) {
      this.state = 'lost';
      throw mapEtcdError(e, 'campaign');
    }
    this.startKeepalive();
    while (this.state === 'campaigning') {
      try {
        const first = await this.leader();
        if (first?.key === this.key) this.state = leadershipTransition(this.state, 'elected');
        else if (!(await this.ownKeyExists())) this.loseLease();
      } catch {
        // etcd unreachable: the keepalive clock decides whether we are still a candidate
      }
      if (this.state === 'campaigning') await sleep(Math.min(250, this.ttlMs / 8));
    }
    return this.fencingToken();
  }

  /** Steps down: deletes the key and revokes the lease. Succeeds when not leading. */
  async resign(): Promise<void> {
    const was = this.state;
    this.state = leadershipTransition(this.state, 'resign');
    if (was !== 'campaigning' && was !== 'leader') return;
    this.stopTimers();
    const lease = this.lease;
    this.lease = undefined;
    try {
      if (this.key) await this.o.client.delete().key(this.key).exec();
      await lease?.revoke();
    } catch (e) {
      // the lease expires on its own within TTL; nothing more we can do
      throw mapEtcdError(e, 'resign');
    }
  }

  /** The current leader, if any (lowest create revision under the election prefix). */
  async leader(): Promise<LeaderInfo | undefined> {
    try {
      const res = await this.o.client.kv.range({
        key: Buffer.from(this.electionPrefix),
        range_end: Buffer.from(prefixEnd(this.electionPrefix)),
        sort_order: 'Ascend',
        sort_target: 'Create',
        limit: 1,
      });
      const kv = res.kvs[0];
      return kv
        ? { key: kv.key.toString(), candidate: kv.value.toString(), createRevision: Number(kv.create_revision) }
        : undefined;
    } catch (e) {
      throw mapEtcdError(e, 'read leader');
    }
  }

  /** Calls `listener` whenever the leader changes (polling `leader()`); returns a stop function. */
  observe(listener: (leader: LeaderInfo | undefined) => void, intervalMs = 250): () => void {
    let last: string | undefined = '\0';
    const t = setInterval(() => {
      this.leader().then(
        (l) => {
          const id = l ? `${l.key}@${l.createRevision}` : undefined;
          if (id !== last) {
            last = id;
            listener(l);
          }
        },
        () => {},
      );
    }, intervalMs);
    return () => clearInterval(t);
  }

  private async ownKeyExists(): Promise<boolean> {
    if (!this.key) return false;
    const res = await this.o.client.kv.range({ key: Buffer.from(this.key), count_only: true });
    return Number(res.count) > 0;
  }

  private startKeepalive(): void {
    const every = this.ttlMs / 4;
    const beat = setInterval(() => {
      const lease = this.lease;
      if (!lease) return;
      const sent = Date.now();
      lease
        .keepaliveOnce({ deadline: sent + every })
        .then(async (res) => {
          if (Number(res.TTL) <= 0) return this.loseLease();
          this.lastAckedSend = Math.max(this.lastAckedSend, sent);
          if (this.state === 'leader' && !(await this.ownKeyExists())) this.loseKey();
        })
        .catch((e: unknown) => {
          if (e instanceof Error && e.name === 'EtcdLeaseInvalidError') this.loseLease();
        });
    }, every);
    // the lease clock: lost once 0.75 TTL passed since the last answered keepalive was sent
    const watchdog = setInterval(
      () => {
        if (Date.now() - this.lastAckedSend > this.ttlMs * 0.75) this.loseLease();
      },
      Math.min(100, every),
    );
    this.timers.push(beat, watchdog);
  }

  private loseKey(): void {
    if (this.state !== 'leader') return;
    this.state = leadershipTransition(this.state, 'key-gone');
    this.dropLease();
  }

  private stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private loseLease(): void {
    if (this.state !== 'campaigning' && this.state !== 'leader') return;
    this.state = leadershipTransition(this.state, 'lease-lost');
    this.dropLease();
  }

  /** Stops keepalives, revokes the lease (best effort: it expires anyway) and tells listeners. */
  private dropLease(): void {
    this.stopTimers();
    const lease = this.lease;
    this.lease = undefined;
    lease?.revoke().catch(() => {});
    for (const l of this.lostListeners) l();
  }
}
