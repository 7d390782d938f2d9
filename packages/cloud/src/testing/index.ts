/**
 * Test helpers for @eni-ipam/cloud users: a small seed, a simulator on a free loopback port, an
 * adapter pointed at it with test-speed settings, and a fake timer for unit tests.
 */

import type { CreateEniRequest, Eni, VpcApi } from '@eni-ipam/core';
import { createCloudLogger } from '../adapter/logger.js';
import type { Timer } from '../adapter/rate-budget.js';
import {
  createTencentVpcApi,
  defaultRateLimits,
  type TencentVpcApi,
  type TencentVpcApiOptions,
} from '../adapter/tencent-vpc-api.js';
import { startVpcSimulator, type VpcSimulator, type VpcSimulatorOptions } from '../sim/server.js';
import type { Seed } from '../sim/state.js';

export const TEST_CREDENTIALS = {
  secretId: 'AKIDtest0000000000000000000000000000',
  secretKey: 'test-secret-key-0000000000000000',
};
export const TEST_REGION = 'ap-guangzhou';
export const TEST_VPC = 'vpc-test0001';
export const TEST_ZONE = 'ap-guangzhou-3';
/** The seed's /24 pod subnet in TEST_ZONE. */
export const TEST_POD_SUBNET = 'subnet-pods0001';

/** A VPC with two subnets in one zone (a /24 and a /29) and `instances` instances of one type. */
export const testSeed = (
  o: { instances?: number; maxEnis?: number; ipsPerEni?: number; podCidr?: string } = {},
): Seed => ({
  region: TEST_REGION,
  vpc: { vpcId: TEST_VPC, cidr: '10.0.0.0/8' },
  subnets: [
    { subnetId: TEST_POD_SUBNET, cidr: o.podCidr ?? '10.1.0.0/24', zone: TEST_ZONE, name: 'pods' },
    { subnetId: 'subnet-tiny0001', cidr: '10.2.0.0/29', zone: TEST_ZONE, name: 'tiny' },
    { subnetId: 'subnet-other001', cidr: '10.3.0.0/24', zone: 'ap-guangzhou-4', name: 'other-zone' },
  ],
  instanceTypes: { 'S5.MEDIUM4': { maxEnis: o.maxEnis ?? 4, ipsPerEni: o.ipsPerEni ?? 10 } },
  instances: Array.from({ length: o.instances ?? 2 }, (_, i) => ({
    instanceId: `ins-${String(i).padStart(8, '0')}`,
    instanceType: 'S5.MEDIUM4',
    zone: TEST_ZONE,
  })),
});

/** A simulator with the test credentials, short tasks and no rate limits unless told otherwise. */
export const startTestSimulator = (o: Partial<VpcSimulatorOptions> = {}): Promise<VpcSimulator> =>
  startVpcSimulator({
    seed: testSeed(),
    credentials: [TEST_CREDENTIALS],
    rateLimits: false,
    taskDurations: { AttachNetworkInterface: 30, DetachNetworkInterface: 30 },
    ...o,
  });

/** The real SDK adapter against `sim`, with test-speed polling, backoff and budget. */
export const adapterFor = (sim: VpcSimulator, o: Partial<TencentVpcApiOptions> = {}): TencentVpcApi =>
  createTencentVpcApi({
    region: sim.region,
    credentials: TEST_CREDENTIALS,
    clusterId: 'cls-test',
    connectTo: { host: '127.0.0.1', port: sim.port },
    requestTimeoutMs: 5_000,
    taskPollIntervalMs: 5,
    taskTimeoutMs: 10_000,
    retry: { maxAttempts: 12, baseDelayMs: 2, maxDelayMs: 40 },
    rateLimits: Object.fromEntries(
      Object.keys(defaultRateLimits).map((a) => [a, { ratePerSecond: 10_000, burst: 10_000 }]),
    ),
    logger: createCloudLogger({ level: 'silent' }),
    ...o,
  });

/**
 * A timer that moves only when told: `sleep` resolves once `advance` passes its deadline.
 * Unit tests of the budget and the retry loop use it instead of real time.
 */
export class FakeTimer implements Timer {
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  readonly slept: number[] = [];
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    return new Promise((resolve) => this.sleepers.push({ at: this.t + ms, resolve }));
  }
  /** Moves time forward, waking sleepers in deadline order, and lets their continuations run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks(); // let pending continuations register their sleeps first
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

export const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Creates an untagged ENI in the seed's pod subnet; `o` overrides any field of the request. */
export const createTestEni = (api: VpcApi, clientToken = 'c1', o: Partial<CreateEniRequest> = {}): Promise<Eni> =>
  api.createEni({ clientToken, vpcId: TEST_VPC, subnetId: TEST_POD_SUBNET, name: 'n', tags: [], ...o });
