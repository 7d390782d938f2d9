import type { Duplex } from 'node:stream';
import { IpamError, isIpamError, type RecordedEvent, type SubscribeOptions, type Subscription } from '@eni-ipam/core';
import type { IWatchRequest, IWatchResponse } from 'etcd3';
import { byPosition, decodeStored, type StoredEvent } from './envelope.js';
import type { EtcdEventStore } from './etcd-event-store.js';
import { prefixEnd } from './keys.js';
import { batchesOfWholeRevisions } from './limits.js';

/**
 * A subscriber's life. `catching-up`: paginated read of the log keys (live keys, so this works at
 * any revision etcd compacted); `watching`: our own watch on etcd3's raw watch stream;
 * `reconnecting`: the stream broke or went silent, wait and watch again from `next`.
 *
 * | from          | on                                  | to            |
 * |---------------|-------------------------------------|---------------|
 * | catching-up   | scan delivered                      | watching      |
 * | watching      | stream error / end / stall          | reconnecting  |
 * | watching      | canceled with compact_revision      | catching-up   |
 * | reconnecting  | backoff elapsed                     | watching      |
 * | any           | decode or handler error             | failed        |
 * | any           | close()                             | closed        |
 */
export type SubscriptionState = 'catching-up' | 'watching' | 'reconnecting' | 'failed' | 'closed';

export const subscriptionTransition = (
  from: SubscriptionState,
  on: 'caught-up' | 'broken' | 'compacted' | 'backoff-elapsed' | 'error' | 'close',
): SubscriptionState => {
  if (from === 'closed' || from === 'failed') return from;
  if (on === 'close') return 'closed';
  if (on === 'error') return 'failed';
  if (from === 'catching-up' && on === 'caught-up') return 'watching';
  if (from === 'watching' && on === 'broken') return 'reconnecting';
  if (from === 'watching' && on === 'compacted') return 'catching-up';
  if (from === 'reconnecting' && on === 'backoff-elapsed') return 'watching';
  throw new IpamError('IllegalTransition', `subscription: ${on} in state ${from}`);
};

type WatchEnd = 'broken' | 'compacted' | 'closed';

export interface EtcdSubscriptionOptions extends SubscribeOptions {
  livenessMs: number;
  batchSize?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Exactly once, in order, across member failures: `next` is the revision after the last whole
 * revision delivered, and every (re)start reads or watches from `next`. We never use the header
 * revision of a watch's create response as a resume point (etcd3's watcher does, and skips a
 * replaying backlog after a reconnect: research/libs.md 1.2).
 */
export class EtcdSubscription implements Subscription {
  state: SubscriptionState = 'catching-up';
  readonly done: Promise<void>;
  private next: number;
  private stopWatch: (() => void) | undefined;
  private readonly prefix: string;

  constructor(
    private readonly store: EtcdEventStore,
    fromRevision: number,
    private readonly handler: (batch: readonly RecordedEvent[]) => Promise<void> | void,
    private readonly opts: EtcdSubscriptionOptions,
  ) {
    this.next = Math.max(1, fromRevision);
    this.prefix = store.keys.logPrefix + (opts.streamPrefix ?? '');
    this.done = this.run();
    this.done.catch(() => {});
  }

  /** How many times a compacted watch start made us reload from the log (diagnostics). */
  reloads = 0;
  /** How many times the watch was re-established after a broken stream (diagnostics). */
  reconnects = 0;

  /** The member (`host:port`) serving the current watch, for diagnostics and tests. */
  peer: string | undefined;

  /** The revision the subscription continues from. */
  get position(): number {
    return this.next;
  }

  async close(): Promise<void> {
    if (this.state !== 'failed') this.state = 'closed';
    this.stopWatch?.();
    await this.done.catch(() => {});
  }

  private get live(): boolean {
    return this.state !== 'closed' && this.state !== 'failed';
  }

  private async run(): Promise<void> {
    let backoff = 100;
    try {
      await this.catchUpRetrying();
      while (this.live) {
        this.state = subscriptionTransition(this.state, this.state === 'catching-up' ? 'caught-up' : 'backoff-elapsed');
        const end = await this.watch();
        if (!this.live || end === 'closed') break;
        if (end === 'compacted') {
          this.state = subscriptionTransition(this.state, 'compacted');
          this.reloads++;
          await this.catchUpRetrying();
          backoff = 100;
          continue;
        }
        this.state = subscriptionTransition(this.state, 'broken');
        this.reconnects++;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    } catch (e) {
      if (this.state !== 'closed') this.state = 'failed';
      this.stopWatch?.();
      throw e;
    }
  }

  private async deliver(events: readonly RecordedEvent[]): Promise<void> {
    for (const batch of batchesOfWholeRevisions(events, this.opts.batchSize ?? 500)) {
      if (!this.live) return;
      await this.handler(batch);
      this.next = (batch[batch.length - 1] as RecordedEvent).revision + 1;
    }
  }

  /** Catch-up, retried while etcd is unavailable (reads are idempotent); other errors stop us. */
  private async catchUpRetrying(): Promise<void> {
    let backoff = 100;
    for (;;) {
      try {
        return await this.catchUp();
      } catch (e) {
        if (!isIpamError(e, 'StoreUnavailable') || !this.live) throw e;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** Paginated read of the live log keys from `next`; archived events trigger onCompacted. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const manifest = await this.store.manifest();
      const scope = this.opts.streamPrefix ?? '';
      const gone = manifest.segments
        .filter((s) => s.stream.startsWith(scope) && s.maxRevision >= this.next)
        .reduce((m, s) => Math.max(m, s.maxRevision), 0);
      if (gone > 0) {
        const available = gone + 1;
        if (!this.opts.onCompacted) {
          throw new IpamError(
            'RevisionCompacted',
            `events from revision ${this.next} were archived; first live revision ${available}`,
            {
              fromRevision: this.next,
              compactRevision: available,
            },
          );
        }
        const resumed = await this.opts.onCompacted(available);
        if (resumed <= this.next) {
          throw new IpamError('RevisionCompacted', `onCompacted returned ${resumed}, not past ${this.next}`, {
            fromRevision: this.next,
          });
        }
        this.next = resumed;
        continue;
      }
      const { events, revision } = await this.store.scan(this.prefix, this.next);
      await this.deliver(events);
      if (this.live) this.next = Math.max(this.next, revision + 1);
      return;
    }
  }

  /**
   * One watch on the raw stream from `next`. Ends 'compacted' when etcd cancels it for a compacted
   * start revision, 'broken' on stream errors or when the member goes silent or falls behind the
   * cluster (etcd3 sends no require-leader metadata, so a watch on a partitioned member would
   * stall quietly), 'closed' on close().
   */
  private async watch(): Promise<WatchEnd> {
    let stream: Duplex;
    try {
      stream = (await this.store.client.watchClient.watch()) as unknown as Duplex;
    } catch {
      return 'broken';
    }
    const queue: (IWatchResponse | WatchEnd)[] = [];
    let wake: (() => void) | undefined;
    const push = (x: IWatchResponse | WatchEnd) => {
      queue.push(x);
      wake?.();
    };
    let seenRevision = 0;
    this.peer = (stream as unknown as { getPeer?: () => string }).getPeer?.();
    stream.on('data', (res: IWatchResponse) => {
      this.peer = (stream as unknown as { getPeer?: () => string }).getPeer?.() ?? this.peer;
      seenRevision = Math.max(seenRevision, Number(res.header?.revision ?? 0));
      push(res);
      // backpressure: a slow handler pauses the gRPC stream instead of buffering without bound
      if (queue.length >= 64) stream.pause();
    });
    stream.on('error', () => push('broken'));
    stream.on('end', () => push('broken'));
    const req: IWatchRequest = {
      create_request: {
        key: Buffer.from(this.prefix),
        range_end: Buffer.from(prefixEnd(this.prefix)),
        start_revision: String(this.next),
        progress_notify: true,
      },
    };
    stream.write(req);

    let quorumRevision = 0;
    const liveness = setInterval(() => {
      // a healthy member answered last tick's progress request with a revision at least the
      // quorum head we read then; a silent or lagging one did not
      if (queue.length > 0) {
        // the consumer is behind (the stream may be paused on purpose): not a silent member
        quorumRevision = 0;
        return;
      }
      if (quorumRevision > 0 && seenRevision < quorumRevision) {
        push('broken');
        return;
      }
      if (stream.writable) stream.write({ progress_request: {} });
      this.store.headRevision().then(
        (r) => {
          quorumRevision = r;
        },
        () => {},
      );
    }, this.opts.livenessMs);
    this.stopWatch = () => push('closed');

    try {
      for (;;) {
        if (queue.length === 0)
          await new Promise<void>((r) => {
            wake = r;
          });
        wake = undefined;
        const item = queue.shift();
        if (queue.length < 16 && stream.isPaused()) stream.resume();
        if (item === undefined) continue;
        if (!this.live) return 'closed';
        if (typeof item === 'string') return item;
        if (item.canceled) return Number(item.compact_revision) > 0 ? 'compacted' : 'broken';
        if (item.events.length === 0) continue;
        const decoded: StoredEvent[] = [];
        for (const ev of item.events) {
          if (ev.type !== 'Put') continue;
          const rev = Number(ev.kv.mod_revision);
          if (rev < this.next) continue; // already delivered before a reconnect
          const key = ev.kv.key.toString();
          decoded.push(
            decodeStored(key, ev.kv.value.toString(), rev, this.store.keys.parseLog(key), this.store.decoder),
          );
        }
        decoded.sort(byPosition);
        await this.deliver(decoded.map((d) => d.event));
      }
    } finally {
      clearInterval(liveness);
      this.stopWatch = undefined;
      stream.removeAllListeners('data');
      stream.on('error', () => {});
      stream.end();
      (stream as unknown as { cancel?: () => void }).cancel?.();
    }
  }
}
