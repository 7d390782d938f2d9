/**
 * Load generators for bench items: a closed loop (N workers, each sends its next request when the
 * previous one is answered; gives peak throughput) and an open loop (requests start on a fixed
 * schedule whatever the answers; gives latency at a chosen rate).
 */

export interface LoadOutcome {
  /** Wall time from the first start to the last answer, ms. */
  elapsedMs: number;
  /** Per request, ms. */
  latencies: number[];
  /** Requests per second. */
  throughput: number;
}

/** Runs `tasks` (each once) with `concurrency` workers. */
export const closedLoop = async <T>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<void>,
): Promise<LoadOutcome> => {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= tasks.length) return;
      const s = performance.now();
      await run(tasks[k] as T);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, latencies, throughput: (tasks.length / elapsedMs) * 1000 };
};

/** Starts task k at t0 + k / rate (catching up if the loop falls behind), and waits for all. */
export const openLoop = async <T>(
  tasks: readonly T[],
  ratePerSecond: number,
  run: (task: T) => Promise<void>,
): Promise<LoadOutcome> => {
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / ratePerSecond;
  const t0 = performance.now();
  for (let k = 0; k < tasks.length; k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // latency from the scheduled start, so a stalled loop shows as latency (no coordinated
    // omission); a request sent early (a wait under 1 ms is not slept, timers are that coarse)
    // counts from when it was sent, or it would be credited the time it was early
    const from = Math.min(due, performance.now());
    inFlight.push(run(tasks[k] as T).then(() => void latencies.push(performance.now() - from)));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, latencies, throughput: (tasks.length / elapsedMs) * 1000 };
};
