import { describe, expect, it } from 'vitest';
import { timeSlicer } from './time-slice.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // work
  }
};

/** Runs `units` of 1 ms work, awaiting `between` before each; returns at which unit an I/O callback got to run. */
const servedAt = async (units: number, between: () => Promise<void>) => {
  let done = 0;
  let served: number | undefined;
  setImmediate(() => {
    served = done;
  });
  for (let k = 0; k < units; k++) {
    await between();
    busy(1);
    done++;
  }
  await new Promise((r) => setImmediate(r));
  return served;
};

describe('timeSlicer: a background pass leaves room for the event loop', () => {
  it('given 20 units of 1 ms of work, a callback waiting for the loop runs after the first budget, not after the pass', async () => {
    const served = await servedAt(20, timeSlicer(2));
    expect(served).toBeGreaterThanOrEqual(2);
    expect(served).toBeLessThan(6);
  });

  it('without it (awaiting resolved promises only), the same callback waits for the whole pass', async () => {
    expect(await servedAt(20, () => Promise.resolve())).toBe(20);
  });

  it('given work under the budget, it does not yield at all', async () => {
    const slice = timeSlicer(1_000);
    let yielded = false;
    setImmediate(() => {
      yielded = true;
    });
    for (let k = 0; k < 50; k++) await slice();
    expect(yielded).toBe(false);
  });
});
