/**
 * Long work on a replica (planning every dirty node, recomputing pool gauges, serializing a
 * snapshot) shares the event loop with the API. Run as one task, it makes each request that
 * arrives meanwhile wait for all of it: in bench item 2 the gauge flush alone held the loop for
 * about 9 ms every 200 ms. `timeSlicer()` returns a function to await between units of work:
 * once `budgetMs` of work has run since the last yield, it lets the loop serve pending I/O
 * (`setImmediate`) before the work goes on (`now` is the clock: tests give a fake one).
 * Hand-written: a few lines, where a scheduler library would bring queues and priorities nobody
 * here needs.
 */
export const timeSlicer = (budgetMs = 2, now: () => number = () => performance.now()): (() => Promise<void>) => {
  let since = now();
  return async () => {
    if (now() - since < budgetMs) return;
    await new Promise((r) => setImmediate(r));
    since = now();
  };
};
