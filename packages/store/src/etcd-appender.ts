import { type AppendOptions, type AppendResult, IpamError, type StreamAppend } from '@eni-ipam/core';
import type { Etcd3, ICompare, IKeyValue, IRequestOp, ITxnRequest, ITxnResponse } from 'etcd3';
import { validateAppend, wrapStored } from './envelope.js';
import { isAmbiguousWrite, isNotSent, mapEtcdError } from './etcd-errors.js';
import { type Batchable, selectBatch } from './group-commit.js';
import type { KeyLayout } from './keys.js';
import { type AppendCost, appendCost, assertFits, type EtcdLimits } from './limits.js';

/** Sends one transaction; a test can wrap it to lose a committed response (ambiguity). */
export type TxnSender = (req: ITxnRequest, deadlineMs: number) => Promise<ITxnResponse>;

export interface AppenderOptions {
  limits: EtcdLimits;
  /** Transactions in flight at once (on disjoint streams). Default 8. */
  maxInFlight?: number;
  /** Per-transaction deadline, ms. Default 5000. */
  callTimeoutMs?: number;
  /** Default `AppendOptions.timeoutMs`: total time an append may take, read-back included. Default 15000. */
  appendTimeoutMs?: number;
  /** Wraps the transaction call (tests inject lost responses here). */
  wrapTxn?: (send: TxnSender) => TxnSender;
}

interface Pending extends Batchable {
  streams: readonly StreamAppend[];
  options: AppendOptions;
  /** Each event's envelope as JSON; wrapped with its index when the transaction is built. */
  values: string[][];
  deadline: number;
  innocentRetries: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const b = (s: string) => Buffer.from(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Group commit of appends into etcd transactions. Concurrent appends to different streams share a
 * transaction that compares every stream's head (and the fence key's create revision) and puts the
 * events and heads. When the compare fails, the failure branch has already read every head, every
 * first-event key and the fence, so each append is judged on its own: already committed (its first
 * event id is there: an earlier ambiguous attempt landed) -> success; fence moved -> NotLeader;
 * head moved -> StreamVersionConflict; otherwise innocent -> queued again. A transaction whose
 * outcome is unknown (deadline, connection lost) is resolved per append by reading the first-event
 * key back; if it is absent the append is queued again, which is safe: the head compare lets at
 * most one attempt land. Never a blind retry.
 */
export class EtcdAppender {
  private readonly queue: Pending[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private readonly send: TxnSender;
  private readonly maxInFlight: number;
  private readonly callTimeoutMs: number;
  private readonly appendTimeoutMs: number;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: KeyLayout,
    private readonly opts: AppenderOptions,
  ) {
    const raw: TxnSender = (req, deadlineMs) => client.kv.txn(req, { deadline: Date.now() + deadlineMs });
    this.send = opts.wrapTxn ? opts.wrapTxn(raw) : raw;
    this.maxInFlight = opts.maxInFlight ?? 8;
    this.callTimeoutMs = opts.callTimeoutMs ?? 5000;
    this.appendTimeoutMs = opts.appendTimeoutMs ?? 15_000;
  }

  append(streams: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new IpamError('StoreUnavailable', 'the event store is closed'));
    validateAppend(streams);
    const values = streams.map((s) => s.events.map((e) => JSON.stringify(e)));
    const keyBytes = this.keys.log('node/x', 1).length + 40;
    const cost: AppendCost = appendCost(
      streams,
      values.flat().map((v) => Buffer.byteLength(v) + 16),
      keyBytes,
    );
    assertFits(cost, this.opts.limits, options.fence !== undefined);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        streams,
        options,
        values,
        cost,
        streamNames: streams.map((s) => s.stream),
        fenceId: options.fence ? `${options.fence.key}@${options.fence.createRevision}` : '',
        solo: false,
        deadline: Date.now() + (options.timeoutMs ?? this.appendTimeoutMs),
        innocentRetries: 0,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new IpamError('StoreUnavailable', 'the event store is closed'));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const now = Date.now();
      for (let k = this.queue.length - 1; k >= 0; k--) {
        const p = this.queue[k] as Pending;
        if (p.deadline <= now) {
          this.queue.splice(k, 1);
          p.reject(new IpamError('StoreUnavailable', 'append timed out before it could be sent', { timeout: true }));
        }
      }
      const idx = selectBatch(this.queue, this.busy, this.opts.limits);
      if (idx.length === 0) return;
      const batch = idx.map((k) => this.queue[k] as Pending);
      for (let k = idx.length - 1; k >= 0; k--) this.queue.splice(idx[k] as number, 1);
      for (const p of batch) for (const s of p.streamNames) this.busy.add(s);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        for (const p of batch) for (const s of p.streamNames) this.busy.delete(s);
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Queued again at the front: nothing behind it on its streams was sent meanwhile (they were busy). */
  private requeue(ps: Pending[]): void {
    this.queue.unshift(...ps);
  }

  private buildTxn(batch: readonly Pending[]): ITxnRequest {
    const compare: ICompare[] = [];
    const success: IRequestOp[] = [];
    const failure: IRequestOp[] = [];
    let i = 0;
    for (const p of batch) {
      p.streams.forEach((s, k) => {
        const head = b(this.keys.head(s.stream));
        compare.push(
          s.expectedVersion === 0
            ? { key: head, target: 'Version', result: 'Equal', version: 0 }
            : { key: head, target: 'Value', result: 'Equal', value: b(String(s.expectedVersion)) },
        );
        s.events.forEach((e, n) => {
          // the index runs over the whole transaction: events of several appends that share a
          // revision keep one order for the watch (op order) and for range reads (sorted by it)
          const value = wrapStored(p.values[k]?.[n] ?? '', i++);
          success.push({ request_put: { key: b(this.keys.log(s.stream, e.seq)), value: b(value) } });
          i++;
        });
        success.push({ request_put: { key: head, value: b(String(s.expectedVersion + s.events.length)) } });
        failure.push({ request_range: { key: head } });
        failure.push({ request_range: { key: b(this.keys.log(s.stream, s.expectedVersion + 1)) } });
      });
    }
    const fence = batch[0]?.options.fence;
    if (fence) {
      compare.push({
        key: b(fence.key),
        target: 'Create',
        result: 'Equal',
        create_revision: String(fence.createRevision),
      });
      failure.push({ request_range: { key: b(fence.key) } });
    }
    return { compare, success, failure };
  }

  private async commit(batch: Pending[]): Promise<void> {
    const remaining = Math.min(...batch.map((p) => p.deadline)) - Date.now();
    let res: ITxnResponse;
    try {
      res = await this.send(this.buildTxn(batch), Math.max(100, Math.min(this.callTimeoutMs, remaining)));
    } catch (e) {
      await this.onError(batch, e);
      return;
    }
    const revision = Number(res.header.revision);
    if (res.succeeded) {
      for (const p of batch) p.resolve({ revision });
      return;
    }
    this.judge(batch, res);
  }

  /** The compare failed: decide each append from the failure branch's reads (one consistent revision). */
  private judge(batch: Pending[], res: ITxnResponse): void {
    const kvAt = (n: number): IKeyValue | undefined => res.responses[n]?.response_range?.kvs[0];
    const again: Pending[] = [];
    let n = 0;
    const fence = batch[0]?.options.fence;
    const fenceKv = fence ? kvAt(batch.reduce((a, p) => a + 2 * p.streams.length, 0)) : undefined;
    const fenceOk = !fence || (fenceKv !== undefined && Number(fenceKv.create_revision) === fence.createRevision);
    for (const p of batch) {
      let committedAt: number | undefined;
      let allCommitted = true;
      let conflict: { stream: string; expected: number; actual: number } | undefined;
      for (const s of p.streams) {
        const head = kvAt(n++);
        const first = kvAt(n++);
        const actual = head ? Number(head.value.toString()) : 0;
        if (first && storedId(first) === s.events[0]?.id) committedAt = Number(first.mod_revision);
        else allCommitted = false;
        if (actual !== s.expectedVersion && !conflict)
          conflict = { stream: s.stream, expected: s.expectedVersion, actual };
      }
      if (allCommitted && committedAt !== undefined) p.resolve({ revision: committedAt });
      else if (!fenceOk) p.reject(notLeader(fence?.key ?? ''));
      else if (conflict) p.reject(versionConflict(conflict));
      else if (p.innocentRetries++ < 3) again.push(p);
      else again.push({ ...p, solo: true });
    }
    this.requeue(again);
  }

  private async onError(batch: Pending[], e: unknown): Promise<void> {
    if (isNotSent(e)) {
      for (const p of batch) p.reject(mapEtcdError(e, 'append'));
      return;
    }
    if (!isAmbiguousWrite(e)) {
      const mapped = mapEtcdError(e, 'append');
      if (mapped.code === 'RequestTooLarge' && batch.length > 1) {
        this.requeue(batch.map((p) => ({ ...p, solo: true })));
        return;
      }
      for (const p of batch) p.reject(mapped);
      return;
    }
    const again: Pending[] = [];
    await Promise.all(
      batch.map(async (p) => {
        const outcome = await this.readBack(p);
        if (outcome === 'absent') again.push(p);
      }),
    );
    this.requeue(again);
  }

  /**
   * Resolves an append whose transaction outcome is unknown by reading its first events back
   * (linearizable reads). Present with our ids -> committed; another id -> conflict; absent ->
   * 'absent' (the caller sends it again under the same compare, so it lands at most once).
   */
  private async readBack(p: Pending): Promise<'done' | 'absent'> {
    let lastError: unknown;
    while (Date.now() < p.deadline) {
      try {
        const ops: IRequestOp[] = p.streams.map((s) => ({
          request_range: { key: b(this.keys.log(s.stream, s.expectedVersion + 1)) },
        }));
        const res = await this.client.kv.txn(
          { compare: [], success: ops, failure: [] },
          { deadline: Date.now() + Math.max(100, Math.min(this.callTimeoutMs, p.deadline - Date.now())) },
        );
        const kvs = p.streams.map((_, k) => res.responses[k]?.response_range?.kvs[0]);
        if (kvs.every((kv, k) => kv && storedId(kv) === p.streams[k]?.events[0]?.id)) {
          p.resolve({ revision: Number(kvs[0]?.mod_revision) });
          return 'done';
        }
        const k = kvs.findIndex((kv, j) => kv !== undefined && storedId(kv) !== p.streams[j]?.events[0]?.id);
        const s = p.streams[k];
        if (k >= 0 && s) {
          p.reject(versionConflict({ stream: s.stream, expected: s.expectedVersion, actual: s.expectedVersion + 1 }));
          return 'done';
        }
        return 'absent';
      } catch (e) {
        lastError = e;
        await sleep(200);
      }
    }
    p.reject(
      new IpamError(
        'AmbiguousOutcome',
        'append outcome unknown: etcd did not answer before the deadline',
        {
          streams: p.streamNames,
        },
        { cause: lastError },
      ),
    );
    return 'done';
  }
}

const storedId = (kv: IKeyValue): string | undefined => {
  try {
    return (JSON.parse(kv.value.toString()) as { e?: { id?: string } }).e?.id;
  } catch {
    return undefined;
  }
};

const notLeader = (key: string): IpamError =>
  new IpamError('NotLeader', `fencing key ${key} is gone or belongs to another term; nothing was appended`, { key });

const versionConflict = (c: { stream: string; expected: number; actual: number }): IpamError =>
  new IpamError('StreamVersionConflict', `stream ${c.stream} is at ${c.actual}, append expected ${c.expected}`, c);
