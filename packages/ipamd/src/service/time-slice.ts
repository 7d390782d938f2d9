/**
 * Background passes (planning every dirty node, recomputing pool gauges) share the event loop
 * with the API. Run as one task, a pass over every node of a busy cluster makes each request
 * that arrives meanwhile wait for all of it: in bench item 2 the gauge flush alone held the loop
 * for about 9 ms every 200 ms. `timeSlicer()` returns a function to await between units of work:
 * once `budgetMs` of work has run since the last yield, it lets the loop serve pending I/O
 * (`setImmediate`) before the pass goes on (`now` is the clock: tests give a fake one).
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
