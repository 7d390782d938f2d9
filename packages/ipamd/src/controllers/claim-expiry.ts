import type { Clock } from '@eni-ipam/core';
import type { CommandService } from '../service/command-service.js';
import type { ProjectionHost } from '../service/projection-host.js';

export interface ClaimExpiryOptions {
  host: ProjectionHost;
  commands: CommandService;
  clock: Clock;
  /** Look for due claims this often. Default: no timer (the owner calls `tick()`). */
  tickEveryMs?: number;
  onError?: (subnetId: string, error: unknown) => void;
}

/**
 * Expires retained static-IP claims (policy `Never`, pod gone) once their `expiresAt` (set from
 * `--claim-expired-duration` when the claim was retained) has passed on the clock: one
 * `ExpireClaims` command per subnet that has a due claim; the decider picks the due ones, so a
 * repeated or late tick is harmless. Leader only (it writes). Clock-driven: tests move a
 * ManualClock and call `tick()`.
 */
export class ClaimExpiry {
  private ticker: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly o: ClaimExpiryOptions) {}

  start(): void {
    if (this.o.tickEveryMs) {
      this.ticker = setInterval(() => void this.tick(), this.o.tickEveryMs);
      this.ticker.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.running;
  }

  /** Subnets that have a retained claim due now. */
  dueSubnets(): string[] {
    const now = this.o.clock.now();
    return Object.values(this.o.host.projection.subnets)
      .filter((s) =>
        Object.values(s.claims).some(
          (c) => c.state === 'retained' && c.expiresAt !== undefined && Date.parse(c.expiresAt) <= now,
        ),
      )
      .map((s) => s.subnetId)
      .sort();
  }

  /** One pass: expires every due claim. Resolves with the number of events appended. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let appended = 0;
    for (const subnetId of this.dueSubnets()) {
      try {
        appended += (await this.o.commands.subnet({ type: 'ExpireClaims', subnetId })).appended;
      } catch (e) {
        this.o.onError?.(subnetId, e);
      }
    }
    return appended;
  }
}
