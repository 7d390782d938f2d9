/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export const waitUntil = async <T>(
  probe: () => T | Promise<T>,
  o: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<NonNullable<T>> => {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
