import type { LeaderElection } from '@eni-ipam/store';
import type { Logger } from 'pino';
import type { WriteRoute } from '../api/service.js';

export interface LeadershipOptions {
  election: LeaderElection;
  /** This replica's advertised base URL (the election key's value). */
  selfUrl: string;
  /** Runs the leader-only work; the returned function stops it. */
  onElected: () => Promise<() => Promise<void>>;
  logger: Logger;
  onChange?: (leading: boolean) => void;
  /** Pause before campaigning again after a failed campaign, ms (default 1000). */
  retryMs?: number;
  /** How often the current leader's URL is read from etcd, ms (default 250). */
  observeMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Campaigns for leadership for as long as the replica runs: when elected, runs the leader-only
 * work until the lease is lost (or the replica stops), then campaigns again. Also tracks the
 * current leader's URL so followers know where to forward writes.
 */
export class Leadership {
  private leaderUrl: string | undefined;
  private stopping = false;
  private wakeStop: () => void = () => {};
  private readonly stopped = new Promise<void>((r) => {
    this.wakeStop = r;
  });
  private signalLost: () => void = () => {};
  private loop: Promise<void> | undefined;
  private unobserve: (() => void) | undefined;

  constructor(private readonly o: LeadershipOptions) {}

  get leading(): boolean {
    return this.o.election.state === 'leader';
  }

  /** Where a write received by this replica goes now. */
  routeWrite(): WriteRoute {
    if (this.leading) return { kind: 'local' };
    const url = this.leaderUrl;
    // our own (expiring) key still first: nobody leads yet
    if (url === undefined || url === this.o.selfUrl) return { kind: 'unavailable', reason: 'no leader elected yet' };
    return { kind: 'forward', leaderUrl: url };
  }

  start(): void {
    this.o.election.onLost(() => this.signalLost());
    this.unobserve = this.o.election.observe((l) => {
      this.leaderUrl = l?.candidate;
    }, this.o.observeMs ?? 250);
    this.loop = this.run();
  }

  /** Stops campaigning and the leader-only work; does not resign (the caller decides). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unobserve?.();
    this.wakeStop();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { election, logger } = this.o;
    while (!this.stopping) {
      const lost = new Promise<void>((r) => {
        this.signalLost = r;
      });
      try {
        await Promise.race([election.campaign(), this.stopped]);
      } catch (err) {
        if (this.stopping) return;
        logger.warn({ err }, 'campaign failed; campaigning again');
        await Promise.race([sleep(this.o.retryMs ?? 1000), this.stopped]);
        continue;
      }
      if (this.stopping || !this.leading) continue;
      logger.info({ token: election.fencingToken() }, 'elected leader: starting the leader-only work');
      this.o.onChange?.(true);
      let stopWork: (() => Promise<void>) | undefined;
      try {
        stopWork = await this.o.onElected();
        await Promise.race([lost, this.stopped]);
      } catch (err) {
        logger.error({ err }, 'leader-only work failed to start; stepping down');
        await election.resign().catch(() => undefined);
      }
      await stopWork?.().catch((err: unknown) => logger.error({ err }, 'stopping the leader-only work failed'));
      this.o.onChange?.(false);
      if (!this.stopping) logger.warn('leadership lost: leader-only work stopped; campaigning again');
    }
  }
}
