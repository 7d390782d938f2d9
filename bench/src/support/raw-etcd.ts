/**
 * The raw baseline of items 1 and 2: plain etcd puts (one key each, a value the size of an
 * allocation event) through the same etcd3 client library, against the same etcd member.
 */
import { randomBytes } from 'node:crypto';
import { createEtcdClient } from '@eni-ipam/store';
import { cpuSample, cpuSpent } from './cpu.js';
import { closedLoop, type LoadOutcome, openLoop } from './load.js';

/** About the size of an IpAllocated event in its envelope as the store writes it. */
export const RAW_VALUE_BYTES = 600;

export interface RawEtcd {
  /** `count` puts with `concurrency` workers. */
  closed(count: number, concurrency: number): Promise<RawOutcome>;
  /** `count` puts started at `ratePerSecond`. */
  open(count: number, ratePerSecond: number): Promise<RawOutcome>;
  close(): void;
}

/** The outcome, with the CPU milliseconds every process of the bench spent meanwhile, by role. */
export type RawOutcome = LoadOutcome & { cpuMs: Record<string, number> };

const measured = async (run: () => Promise<LoadOutcome>): Promise<RawOutcome> => {
  const before = cpuSample();
  const out = await run();
  return { ...out, cpuMs: cpuSpent(before, cpuSample()) };
};

export const rawEtcd = (endpoints: readonly string[]): RawEtcd => {
  const client = createEtcdClient({ endpoints });
  const value = randomBytes(RAW_VALUE_BYTES / 2).toString('hex');
  const tag = randomBytes(4).toString('hex');
  let seq = 0;
  const put = async () => {
    await client.put(`/bench-raw-${tag}/${seq++}`).value(value);
  };
  const keys = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    closed: (count, concurrency) => measured(() => closedLoop(keys(count), concurrency, put)),
    open: (count, rate) => measured(() => openLoop(keys(count), rate, put)),
    close: () => client.close(),
  };
};
