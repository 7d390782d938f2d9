import { decodeRecorded, type EventStore, type RecordedEvent } from '@eni-ipam/core';
import type { ProjectionHost } from './projection-host.js';
import type { FeedEvent } from './wire-types.js';
import { wireFeedEvent } from './wire-views.js';

export interface NodeFeedOptions {
  store: EventStore;
  host: ProjectionHost;
  /** `node/<name>`. */
  stream: string;
  /** Events with revision > from. */
  from: number;
  signal: AbortSignal;
  /** Lines buffered before the store subscription is paused. Default 1000. */
  highWater?: number;
}

/**
 * One agent's feed: the node stream's events after `from`, as wire lines, through a store
 * subscription (catch-up then live, whole revisions, in order). Each batch waits until the
 * projection host has applied it, so ENI facts (MAC, primary IP, subnet) are known when a
 * line is rendered. Ends when `signal` aborts; a position the store can no longer replay ends
 * the iteration with the store's `RevisionCompacted` error (the agent then reloads the state).
 */
export const openNodeFeed = (o: NodeFeedOptions): AsyncIterable<FeedEvent> => {
  const highWater = o.highWater ?? 1000;
  const queue: FeedEvent[] = [];
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let ended = false;
  let error: unknown;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const handler = async (batch: readonly RecordedEvent[]) => {
    const mine = batch.filter((e) => e.stream === o.stream);
    const last = mine[mine.length - 1];
    if (!last || ended) return;
    await o.host.waitFor(last.revision);
    for (const raw of mine) {
      const line = wireFeedEvent(o.host, decodeRecorded(raw), raw.revision);
      if (line) queue.push(line);
    }
    poke();
    while (queue.length > highWater && !ended)
      await new Promise<void>((r) => {
        drained = r;
      });
  };
  const sub = o.store.subscribe(o.from + 1, handler, { streamPrefix: o.stream });
  const stop = () => {
    ended = true;
    drained?.();
    poke();
    sub.close().catch(() => undefined);
  };
  sub.done.then(
    () => stop(),
    (e: unknown) => {
      error = e;
      stop();
    },
  );
  if (o.signal.aborted) stop();
  else o.signal.addEventListener('abort', stop, { once: true });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const next = queue.shift();
          if (next) {
            if (queue.length <= highWater) drained?.();
            yield next;
            continue;
          }
          if (ended) break;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
        if (error !== undefined && !o.signal.aborted) throw error;
      } finally {
        stop();
      }
    },
  };
};
