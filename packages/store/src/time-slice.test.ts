import { describe, expect, it } from 'vitest';
import { timeSlicer } from './time-slice.js';

/**
 * Runs `units` of work of 1 ms each on a fake clock, awaiting `between` before each; returns
 * after which unit an I/O callback queued at the start got to run. The clock is fake so that the
 * verdict does not depend on how busy the machine running the test is.
 */
const servedAt = async (units: number, between: (clock: { t: number }) => () => Promise<void>) => {
  const clock = { t: 0 };
  const slice = between(clock);
  let done = 0;
  let served: number | undefined;
  setImmediate(() => {
    served = done;
  });
  for (let k = 0; k < units; k++) {
    await slice();
    clock.t += 1; // one unit of work
    done++;
  }
  await new Promise((r) => setImmediate(r));
  return served;
};

describe('timeSlicer: a background pass leaves room for the event loop', () => {
  it('given 20 units of 1 ms of work and a 2 ms budget, a callback waiting for the loop runs after the second unit', async () => {
    expect(await servedAt(20, (c) => timeSlicer(2, () => c.t))).toBe(2);
  });

  it('without it (awaiting resolved promises only), the same callback waits for the whole pass', async () => {
    expect(await servedAt(20, () => () => Promise.resolve())).toBe(20);
  });

  it('given work under the budget, it does not yield at all', async () => {
    expect(await servedAt(20, (c) => timeSlicer(1_000, () => c.t))).toBe(20);
  });

  it('with the real clock, a pass of real work still yields (no fake time involved)', async () => {
    const slice = timeSlicer(0);
    let yielded = false;
    setImmediate(() => {
      yielded = true;
    });
    await slice();
    expect(yielded).toBe(true);
  });
});
