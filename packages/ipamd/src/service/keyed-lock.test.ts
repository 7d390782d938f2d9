import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('KeyedLock', () => {
  it('runs tasks of one key one at a time in arrival order, other keys concurrently', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const gate = deferred();
    const a1 = lock.run('a', async () => {
      order.push('a1 start');
      await gate.promise;
      order.push('a1 end');
      return 1;
    });
    const a2 = lock.run('a', async () => {
      order.push('a2');
      return 2;
    });
    const b1 = lock.run('b', async () => {
      order.push('b1');
      return 3;
    });
    expect(await b1).toBe(3);
    expect(order).toEqual(['a1 start', 'b1']);
    gate.resolve();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(order).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('a failing task passes its error to its caller and does not block the next one', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('a', async () => {
      throw new Error('boom');
    });
    const next = lock.run('a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(lock.size).toBe(0);
  });
});
