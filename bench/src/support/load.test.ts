import { describe, expect, it } from 'vitest';
import { closedLoop, openLoop } from './load.js';

const tasks = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('openLoop', () => {
  it('counts each request from its scheduled start, or from when it was sent if that was earlier', async () => {
    const own: number[] = [];
    // 1,000/s: every wait is under the 1 ms the loop sleeps for, so requests go out early
    const out = await openLoop(tasks(200), 1000, async (k) => {
      const s = performance.now();
      await new Promise((r) => setImmediate(r));
      own[k] = performance.now() - s;
    });
    expect(out.latencies).toHaveLength(200);
    for (const l of out.latencies) expect(l).toBeGreaterThanOrEqual(0);
    // never less than the request's own time (an early start credited as latency would be)
    expect(Math.min(...out.latencies)).toBeGreaterThanOrEqual(Math.min(...own) - 0.001);
  });

  it('counts a late start from the schedule: a stalled loop shows as latency', async () => {
    let blocked = false;
    const out = await openLoop(tasks(20), 200, async (k) => {
      if (k === 5 && !blocked) {
        blocked = true;
        const end = performance.now() + 50; // the loop's thread is held for 50 ms
        while (performance.now() < end);
      }
    });
    // the requests due during the stall started late and carry it
    expect(Math.max(...out.latencies)).toBeGreaterThanOrEqual(30);
  });
});

describe('closedLoop', () => {
  it('runs every task once with at most `concurrency` at a time', async () => {
    let live = 0;
    let most = 0;
    const seen: number[] = [];
    const out = await closedLoop(tasks(50), 4, async (k) => {
      live++;
      most = Math.max(most, live);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(k);
      live--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(tasks(50));
    expect(most).toBe(4);
    expect(out.latencies).toHaveLength(50);
    expect(out.throughput).toBeGreaterThan(0);
  });
});
