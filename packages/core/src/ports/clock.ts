/**
 * Time, injected. Core never reads the wall clock; commands carry their `at`. Adapters and
 * controllers take a Clock so tests can drive time without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A clock that only moves when told to; for tests and for replays. */
export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go back');
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
