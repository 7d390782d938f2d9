import { describe, expect, it } from 'vitest';
import { FakeTimer, flushMicrotasks } from '../testing/index.js';
import { RateBudget } from './rate-budget.js';

const budget = (timer: FakeTimer, ratePerSecond = 2, burst = 3) =>
  new RateBudget(() => ({ ratePerSecond, burst }), timer);

const track = (p: Promise<void>) => {
  const s = { done: false };
  void p.then(() => {
    s.done = true;
  });
  return s;
};

describe('RateBudget', () => {
  it('lets a burst through at once, then one call per 1/rate seconds', async () => {
    const timer = new FakeTimer();
    const b = budget(timer);
    const calls = Array.from({ length: 5 }, () => track(b.acquire('A', 'refill')));
    await flushMicrotasks();
    expect(calls.map((c) => c.done)).toEqual([true, true, true, false, false]);
    await timer.advance(499);
    expect(calls[3]?.done).toBe(false);
    await timer.advance(1);
    expect(calls[3]?.done).toBe(true);
    expect(calls[4]?.done).toBe(false);
    await timer.advance(500);
    expect(calls[4]?.done).toBe(true);
  });

  it('serves waiting pod work before refill work queued earlier', async () => {
    const timer = new FakeTimer();
    const b = budget(timer, 1, 1);
    await b.acquire('A', 'refill'); // uses the one token
    const order: string[] = [];
    for (const [i, p] of (['refill', 'refill', 'pod', 'pod'] as const).entries())
      void b.acquire('A', p).then(() => order.push(`${p}${i}`));
    expect(b.waiting('A')).toEqual({ pod: 2, refill: 2 });
    await timer.advance(4_000);
    expect(order).toEqual(['pod2', 'pod3', 'refill0', 'refill1']);
  });

  it('keeps one bucket per action: one action waiting does not hold up another', async () => {
    const timer = new FakeTimer();
    const b = budget(timer, 1, 1);
    await b.acquire('A', 'pod');
    const a = track(b.acquire('A', 'pod'));
    const other = track(b.acquire('B', 'refill'));
    await flushMicrotasks();
    expect(a.done).toBe(false);
    expect(other.done).toBe(true);
  });

  it('refills to the burst only: a long idle time does not bank more than the burst', async () => {
    const timer = new FakeTimer();
    const b = budget(timer, 10, 2);
    await timer.advance(60_000);
    const calls = Array.from({ length: 3 }, () => track(b.acquire('A', 'pod')));
    await flushMicrotasks();
    expect(calls.map((c) => c.done)).toEqual([true, true, false]);
  });
});
