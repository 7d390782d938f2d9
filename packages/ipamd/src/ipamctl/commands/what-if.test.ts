import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { Churn, writeLog } from '../testing/churn.js';
import { loadHistory } from './load.js';
import { whatIf } from './what-if.js';

/**
 * Six pods arrive on an empty pool (bounds 0..0), three leave (the pool controller runs: one idle
 * address is released at once, the others wait for the paced release), three more arrive.
 */
const recordedChurn = async () => {
  const c = new Churn();
  for (let i = 0; i < 6; i++) {
    c.sim.now += 10_000;
    c.add('node-a', `a${i}`);
  }
  for (let i = 0; i < 3; i++) c.remove('node-a', `a${i}`, true);
  for (let i = 0; i < 3; i++) {
    c.sim.now += 10_000;
    c.add('node-a', `b${i}`);
  }
  const store = new InMemoryEventStore();
  await writeLog(store, c.sim.log);
  return loadHistory(store);
};

describe('what-if', () => {
  it('recorded figures come from the log: every pod on an empty pool waited', async () => {
    const r = whatIf(await recordedChurn(), { min: 0, max: 0 });
    expect(r.pods).toBe(9);
    expect(r.recordedPreBind).toEqual({ min: 0, max: 0 });
    expect(r.recorded.podsWaited).toBe(7); // b0, b1 took addresses left bound; b2 waited
    expect(r.recorded.cloudCalls).toBeGreaterThan(0);
  });

  it('the same bounds replayed wait as often as recorded', async () => {
    const r = whatIf(await recordedChurn(), { min: 0, max: 0 });
    expect(r.replayed.podsWaited).toBe(r.recorded.podsWaited);
    expect(r.replayed.peakBound).toBe(r.recorded.peakBound);
  });

  it('a warm pool of 3 to 5: fewer pods wait, more addresses are bound at the peak', async () => {
    const events = await recordedChurn();
    const base = whatIf(events, { min: 0, max: 0 });
    const warm = whatIf(events, { min: 3, max: 5 });
    expect(warm.replayed.podsWaited).toBeLessThan(base.replayed.podsWaited);
    expect(warm.replayed.peakBound).toBeGreaterThan(base.replayed.peakBound);
    expect(warm.replayed.peakBound).toBeLessThanOrEqual(6 + 5);
  });

  it('a window replays only the pods arriving in it', async () => {
    const events = await recordedChurn();
    const last = events[events.length - 1]?.at as string;
    const r = whatIf(events, { min: 0, max: 0 }, { since: Date.parse(last) + 1 });
    expect(r.pods).toBe(0);
    expect(r.replayed.podsWaited).toBe(0);
  });
});
