import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('KeyedQueue', () => {
  it('runs the tasks of one key in order, one at a time, and other keys meanwhile', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const gate = deferred();
    const first = q.run('a', async () => {
      log.push('a1 start');
      await gate.promise;
      log.push('a1 end');
    });
    const second = q.run('a', async () => void log.push('a2'));
    await q.run('b', async () => void log.push('b1'));
    expect(log).toEqual(['a1 start', 'b1']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    await q.idle();
    expect(q.size).toBe(0);
  });

  it('a failed task rejects its own promise and does not stop the next one', async () => {
    const q = new KeyedQueue();
    const failed = q.run('a', async () => {
      throw new Error('boom');
    });
    const next = q.run('a', async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });
});
