import type { AppendCost, EtcdLimits } from './limits.js';
import { REQUEST_MARGIN } from './limits.js';

/** What the batch planner needs to know about a queued append. */
export interface Batchable {
  /** The streams it writes (a stream may appear in only one append per transaction). */
  streamNames: readonly string[];
  /** Appends share a transaction only under the same fence ('' for none). */
  fenceId: string;
  cost: AppendCost;
  /** Must go alone (it failed in company, e.g. the size estimate was off). */
  solo: boolean;
}

/**
 * Group commit, the pure part: picks the queued appends (in queue order) that go into the next
 * transaction. Rules:
 * - per-stream order: an append whose stream is in flight, or is touched by an earlier append
 *   still waiting, is skipped and blocks that stream for everything behind it;
 * - one fence per transaction; a `solo` append goes alone;
 * - etcd limits: success ops (events + heads), failure ops (head + first-event reads + fence),
 *   compares, and request bytes stay within `limits`.
 * Returns indexes into `queue`.
 */
export const selectBatch = (
  queue: readonly Batchable[],
  busy: ReadonlySet<string>,
  limits: EtcdLimits,
  maxScan = 4096,
): number[] => {
  const blocked = new Set(busy);
  const picked: number[] = [];
  let puts = 0;
  let reads = 1;
  let compares = 1;
  let bytes = 0;
  let fenceId: string | undefined;
  const n = Math.min(queue.length, maxScan);
  for (let k = 0; k < n; k++) {
    const a = queue[k] as Batchable;
    const clash = a.streamNames.some((s) => blocked.has(s));
    const fits =
      !clash &&
      (picked.length === 0 ||
        (!a.solo &&
          a.fenceId === fenceId &&
          puts + a.cost.puts <= limits.maxTxnOps &&
          reads + a.cost.reads <= limits.maxTxnOps &&
          compares + a.cost.compares <= limits.maxTxnOps &&
          bytes + a.cost.bytes <= limits.maxRequestBytes - REQUEST_MARGIN));
    for (const s of a.streamNames) blocked.add(s);
    if (!fits) continue;
    picked.push(k);
    fenceId = a.fenceId;
    puts += a.cost.puts;
    reads += a.cost.reads;
    compares += a.cost.compares;
    bytes += a.cost.bytes;
    if (a.solo) break;
    if (puts >= limits.maxTxnOps - 1) break;
  }
  return picked;
};
