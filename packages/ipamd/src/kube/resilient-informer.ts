import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

export type InformerVerb = 'add' | 'update' | 'delete';

export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** Name in logs, such as `nodes`. */
  name: string;
  kubeConfig: KubeConfig;
  /** Watch path, such as `/api/v1/nodes`. */
  path: string;
  /** The list call matching `path` and the selectors, such as `() => core.listNode()`. */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Every this often the watch is re-opened from its last resourceVersion and every cached
   * object is handed to the `resync` listeners. client-node 1.4 has no client-side watch timeout
   * (its 30 s signal is overwritten), so a silently stalled connection is only noticed this way.
   * Default 5 minutes; 0 disables it.
   */
  resyncIntervalMs?: number;
  /** A list that takes longer than this fails (and is retried with backoff). Default 60 s. */
  listTimeoutMs?: number;
  /** Restart delays after errors. */
  backoff?: Backoff;
  logger?: Logger;
}

type State = 'idle' | 'running' | 'backoff' | 'stopped';

/**
 * A `ListWatch` of @kubernetes/client-node 1.4 made to keep running. The traps it covers
 * (research/libs.md 4.3):
 * - on any list or watch error the ListWatch emits `error` and stops: this restarts it, after
 *   an exponential backoff (reset once a watch is established again);
 * - `stop()` aborts the request, and that abort used to come back as an `error`, and as a done
 *   call that aborts the NEXT request when a restart follows at once. Every watch request is
 *   tagged with a generation; callbacks of an older generation are dropped and its connection is
 *   aborted, so neither stop() nor a restart can reach the new watch;
 * - no client-side timeout: a periodic resync re-opens the watch (from the last resourceVersion;
 *   a 410 there relists) and re-delivers the cache to `resync` listeners.
 * A 410 (Expired) is handled by the ListWatch itself: it relists, and emits `delete` for
 * objects that went away meanwhile.
 *
 * @example
 * const nodes = new ResilientInformer({ name: 'nodes', kubeConfig: kc, path: '/api/v1/nodes', list: () => core.listNode() });
 * nodes.on('add', (n) => ...);
 * nodes.start();
 * await nodes.ready;
 */
export class ResilientInformer<T extends KubernetesObject> {
  /** Resolves once the first list has been applied to the cache and the watch is open. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private readonly lw: ListWatch<T>;
  private state: State = 'idle';
  private generation = 0;
  private attempts = 0;
  private restarts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly live = new Set<AbortController>();
  private readonly resyncListeners: Array<(objects: readonly T[]) => void> = [];
  private readonly errorListeners: Array<(err: unknown) => void> = [];

  constructor(private readonly opts: ResilientInformerOptions<T>) {
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
    this.lw = new ListWatch<T>(
      opts.path,
      this.guardedWatch(opts.kubeConfig),
      () => this.guardedList(),
      false,
      opts.labelSelector,
      opts.fieldSelector,
    );
    this.lw.on('error', (err) => this.onError(err));
  }

  /** Object listeners; called synchronously by the cache, in watch order. */
  on(verb: InformerVerb, cb: (obj: T) => void): void;
  /** After each periodic resync, with every cached object. */
  on(verb: 'resync', cb: (objects: readonly T[]) => void): void;
  /** Each error that causes a restart (for metrics and tests); never after stop(). */
  on(verb: 'error', cb: (err: unknown) => void): void;
  on(verb: InformerVerb | 'resync' | 'error', cb: (arg: never) => void): void {
    if (verb === 'resync') this.resyncListeners.push(cb as (objects: readonly T[]) => void);
    else if (verb === 'error') this.errorListeners.push(cb as (err: unknown) => void);
    else this.lw.on(verb, cb as (obj: T) => void);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace);
  }

  /** How many times the watch was restarted after an error. */
  get restartCount(): number {
    return this.restarts;
  }

  /** Starts listing and watching; errors are retried, never thrown. Await `ready` for the first list. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.lw.start().catch((err: unknown) => this.onError(err));
    const every = this.opts.resyncIntervalMs ?? 300_000;
    if (every > 0) {
      this.resyncTimer = setInterval(() => this.resync(), every);
      this.resyncTimer.unref();
    }
  }

  /** Stops for good: no more callbacks, no error from the aborted request. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.resyncTimer);
    this.abortAll();
    await this.lw.stop();
  }

  /** Re-opens the watch now and hands the cache to `resync` listeners. */
  resync(): void {
    if (this.state !== 'running') return;
    this.restartWatch();
    const objects = this.lw.list();
    for (const cb of this.resyncListeners) cb(objects);
  }

  private restartWatch(): void {
    this.abortAll();
    this.lw
      .stop()
      .then(() => {
        if (this.state === 'running') return this.lw.start();
      })
      .catch((err: unknown) => this.onError(err));
  }

  private abortAll(): void {
    this.generation++;
    for (const c of this.live) c.abort();
    this.live.clear();
  }

  private onError(err: unknown): void {
    if (this.state !== 'running' || err instanceof StaleRequestError) return;
    this.abortAll();
    this.attempts++;
    const delay = backoffDelay(this.opts.backoff ?? DEFAULT_BACKOFF, this.attempts);
    this.opts.logger?.warn({ informer: this.opts.name, err, retryInMs: delay }, 'informer failed; restarting');
    for (const cb of this.errorListeners) cb(err);
    this.state = 'backoff';
    this.retryTimer = setTimeout(() => {
      if (this.state !== 'backoff') return;
      this.state = 'running';
      this.restarts++;
      this.restartWatch();
    }, delay);
    this.retryTimer.unref();
  }

  private async guardedList(): Promise<KubernetesListObject<T>> {
    const gen = this.generation;
    const timeoutMs = this.opts.listTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`list ${this.opts.path} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const list = await Promise.race([this.opts.list(), timeout]);
      // A list started before a stop or restart must not feed the cache nor open a second watch.
      if (gen !== this.generation || this.state !== 'running') throw new StaleRequestError();
      return list;
    } finally {
      clearTimeout(timer);
    }
  }

  private guardedWatch(kc: KubeConfig): Watch {
    const owner = this;
    return new (class extends Watch {
      override async watch(
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
        done: (err: unknown) => void,
      ): Promise<AbortController> {
        const gen = owner.generation;
        let ended = false;
        let controller: AbortController | undefined;
        controller = await super.watch(
          path,
          query,
          (phase, obj, raw) => {
            if (gen === owner.generation) callback(phase, obj, raw);
          },
          (err) => {
            ended = true;
            if (controller) owner.live.delete(controller);
            if (gen === owner.generation) done(err);
          },
        );
        if (gen !== owner.generation || owner.state === 'stopped') {
          controller.abort();
        } else if (!ended) {
          owner.live.add(controller);
          owner.attempts = 0;
          owner.resolveReady();
        }
        return controller;
      }
    })(kc);
  }
}

/** A request of an older generation finished after a stop or restart: dropped, not an error. */
class StaleRequestError extends Error {
  override readonly name = 'StaleRequestError';
}
