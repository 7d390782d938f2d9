import { IpamError, type RecordedEvent, type StreamAppend } from '@eni-ipam/core';

/** etcd's request limits (`--max-txn-ops`, `--max-request-bytes`) and our margin below them. */
export interface EtcdLimits {
  /** Max operations in either branch of a transaction (etcd default 128). */
  maxTxnOps: number;
  /** Max bytes of one request (etcd default 1.5 MiB); we keep a margin for protobuf framing. */
  maxRequestBytes: number;
}

export const DEFAULT_LIMITS: EtcdLimits = { maxTxnOps: 128, maxRequestBytes: 1_572_864 };

/** Framing bytes we budget per op on top of key and value (protobuf tags, lengths, compare). */
const OP_OVERHEAD = 48;
/** Room left for the transaction's own framing and the fence compare. */
export const REQUEST_MARGIN = 16 * 1024;

export interface AppendCost {
  /** Success-branch ops: one put per event and one per head. */
  puts: number;
  /** Failure-branch ops: a head read and a first-event read per stream. */
  reads: number;
  /** Compares: one per head. */
  compares: number;
  bytes: number;
}

/** What one append adds to a transaction; `valueBytes` is each encoded event's size. */
export const appendCost = (
  streams: readonly StreamAppend[],
  valueBytes: readonly number[],
  keyBytes: number,
): AppendCost => {
  const events = streams.reduce((n, s) => n + s.events.length, 0);
  const bytes =
    valueBytes.reduce((a, b) => a + b, 0) +
    (events + 3 * streams.length) * (keyBytes + OP_OVERHEAD) +
    streams.length * 24;
  return { puts: events + streams.length, reads: 2 * streams.length, compares: streams.length, bytes };
};

/** One append must fit one transaction on its own (its atomicity is the contract). */
export const assertFits = (cost: AppendCost, limits: EtcdLimits, fenced: boolean): void => {
  const f = fenced ? 1 : 0;
  if (cost.puts > limits.maxTxnOps || cost.reads + f > limits.maxTxnOps || cost.compares + f > limits.maxTxnOps) {
    throw new IpamError(
      'RequestTooLarge',
      `append needs ${cost.puts} operations; etcd allows ${limits.maxTxnOps} per transaction`,
      { ops: cost.puts, maxTxnOps: limits.maxTxnOps },
    );
  }
  if (cost.bytes > limits.maxRequestBytes - REQUEST_MARGIN) {
    throw new IpamError(
      'RequestTooLarge',
      `append is ${cost.bytes} bytes; etcd accepts at most ${limits.maxRequestBytes - REQUEST_MARGIN} per request (with framing margin)`,
      { bytes: cost.bytes, maxRequestBytes: limits.maxRequestBytes },
    );
  }
};

/**
 * Splits events (already in global order) into batches of whole revisions of about
 * `maxEvents` each; a revision larger than that stays whole (subscribers get whole revisions).
 */
export const batchesOfWholeRevisions = (events: readonly RecordedEvent[], maxEvents: number): RecordedEvent[][] => {
  const out: RecordedEvent[][] = [];
  let cur: RecordedEvent[] = [];
  for (let k = 0; k < events.length; k++) {
    const e = events[k] as RecordedEvent;
    const prev = cur[cur.length - 1];
    if (cur.length >= maxEvents && prev && prev.revision !== e.revision) {
      out.push(cur);
      cur = [];
    }
    cur.push(e);
  }
  if (cur.length) out.push(cur);
  return out;
};
