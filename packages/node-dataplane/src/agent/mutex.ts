/**
 * A FIFO async mutex (a dozen lines; the npm alternatives add more surface than they save).
 * Serialises everything that reads-then-writes the host's rules and routes, so a converge
 * never observes half of a CNI ADD's batch and installs a duplicate rule.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
