import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import { dispatch } from '../cni/dispatcher.js';
import { podNetwork, removeSharedPod } from '../cni/pod-network.js';
import type { IpamdClient } from '../ipamd/ipamd-client.js';
import type { NetOps } from '../netops/net-ops.js';
import { serveCni } from './cni-socket.js';
import { type ApplyCause, FeedFollower } from './feed-follower.js';
import { Host } from './host.js';
import { type NodeView, viewFromState } from './node-view.js';

export interface AgentOptions {
  socketPath: string;
  ipamd: IpamdClient;
  net: NetOps;
  log: Logger;
  /** How long start() waits for ipamd's snapshot before serving CNI anyway. Default 10 s. */
  startupWaitMs?: number;
  netnsExists?: (path: string) => boolean;
  /** A path naming the node's namespace (where exclusive ENIs return). Default: our own. */
  selfNetns?: string;
  /** Additive re-convergence period (repairs routes or rules removed behind our back). Default 60 s; 0 disables. */
  resyncMs?: number;
}

/**
 * eni-agent: converge the host from the feed, serve the CNI plugins, acknowledge revisions.
 *
 * Start-up order matters for "a restart never disturbs running pods": the snapshot is loaded
 * and the host converged (orphans removed: only objects with our markers and no live pod)
 * BEFORE the CNI socket is served, so no ADD can be under way while garbage is collected. If
 * ipamd cannot be reached in time, CNI is served anyway and orphans are left alone.
 */
export class Agent {
  readonly host: Host;
  private readonly abort = new AbortController();
  private server: Server | undefined;
  private follower: FeedFollower | undefined;
  private loop: Promise<void> | undefined;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.host = new Host(opts.net);
  }

  get view(): NodeView | undefined {
    return this.follower?.view;
  }

  async start(): Promise<void> {
    const { ipamd, log } = this.opts;
    let initial: NodeView | undefined;
    const deadline = Date.now() + (this.opts.startupWaitMs ?? 10_000);
    while (!initial && Date.now() < deadline) {
      try {
        initial = viewFromState(await ipamd.state());
      } catch (e) {
        log.warn({ err: e }, 'ipamd snapshot not available yet');
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    if (initial) {
      const changes = await this.host.converge(initial, true);
      log.info({ revision: initial.revision, changes }, 'host converged at start-up (orphans removed)');
      await ipamd.ack(initial.revision).catch((e) => log.warn({ err: e }, 'ack failed'));
    } else {
      log.error('serving CNI without a snapshot; orphans will not be collected until restart');
      await this.host.loadRules();
    }
    const follower = new FeedFollower({
      ipamd,
      apply: (view, cause) => this.applyView(view, cause),
      onError: (e) => log.warn({ err: e }, 'feed interrupted; resuming'),
    });
    follower.view = initial;
    this.follower = follower;
    this.loop = follower.run(this.abort.signal);
    const handlers = podNetwork({
      host: this.host,
      ipamd,
      allocation: (id) => this.follower?.view?.allocations.get(id),
      selfNetns: this.opts.selfNetns ?? `/proc/${process.pid}/ns/net`,
    });
    const netnsExists = this.opts.netnsExists ?? existsSync;
    this.server = await serveCni(this.opts.socketPath, async (inv) => {
      const t0 = performance.now();
      const out = await dispatch(inv, { handlers, netnsExists });
      log.debug(
        { cmd: inv.env.CNI_COMMAND, id: inv.env.CNI_CONTAINERID, exit: out.exitCode, ms: performance.now() - t0 },
        'cni',
      );
      if (out.exitCode !== 0) log.warn({ cmd: inv.env.CNI_COMMAND, out: out.stdout.trim() }, 'cni failed');
      return out;
    });
    log.info({ socket: this.opts.socketPath }, 'serving CNI');
    const every = this.opts.resyncMs ?? 60_000;
    if (every > 0) {
      this.resync = setInterval(() => {
        const view = this.follower?.view;
        if (view) this.host.converge(view, false).catch((e) => log.warn({ err: e }, 'resync failed'));
      }, every);
      this.resync.unref();
    }
  }

  private async applyView(view: NodeView, cause: ApplyCause): Promise<void> {
    if (cause.reload) return void (await this.host.converge(view, false));
    const e = cause.event;
    switch (e.type) {
      case 'IpReleased': {
        // ipamd took the address back (for example the pod was deleted while we were down):
        // stop routing it here before it can be handed to another pod.
        const gone = cause.before.allocations.get(e.containerId);
        if (gone?.mode === 'shared') await removeSharedPod(this.host, e.containerId, gone.ip);
        return;
      }
      case 'IpAllocated':
        // The CNI ADD that asked for it set the pod up; a pod set up by an earlier agent
        // process is covered by the start-up converge.
        return;
      default:
        await this.host.converge(view, false);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    this.abort.abort();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await this.loop;
  }
}
