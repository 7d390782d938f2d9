import { isIpamError } from '@eni-ipam/core';
import type { FeedEvent } from '../ipamd/api.js';
import type { IpamdClient } from '../ipamd/ipamd-client.js';
import { evolveView, type NodeView, viewFromState } from './node-view.js';

export type ApplyCause = { reload: true } | { reload: false; event: FeedEvent; before: NodeView };

export interface FeedFollowerDeps {
  ipamd: IpamdClient;
  /** Called with each new view: the first after a (re)load of the snapshot, then per event. */
  apply: (view: NodeView, cause: ApplyCause) => Promise<void>;
  onError?: (e: unknown) => void;
  /** Pause between failed attempts. Default 500 ms. */
  retryMs?: number;
}

/**
 * Follows the node's feed. States: `loading` (no view: fetch the snapshot), `following`
 * (stream from view.revision). A 410 (RevisionCompacted) drops back to `loading`; any other
 * failure keeps the view and resumes from its revision after a pause. Each applied revision is
 * acknowledged to ipamd.
 */
export class FeedFollower {
  view: NodeView | undefined;

  constructor(private readonly deps: FeedFollowerDeps) {}

  async run(signal: AbortSignal): Promise<void> {
    const { ipamd, apply } = this.deps;
    while (!signal.aborted) {
      try {
        if (!this.view) {
          this.view = viewFromState(await ipamd.state());
          await apply(this.view, { reload: true });
          await ipamd.ack(this.view.revision);
        }
        for await (const event of ipamd.feed(this.view.revision, signal)) {
          const before: NodeView = this.view;
          const next = evolveView(before, event);
          if (next === before) continue;
          this.view = next;
          await apply(next, { reload: false, event, before });
          await ipamd.ack(next.revision);
        }
      } catch (e) {
        if (isIpamError(e, 'RevisionCompacted')) {
          this.view = undefined;
          continue;
        }
        this.deps.onError?.(e);
      }
      await pause(this.deps.retryMs ?? 500, signal);
    }
  }
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
