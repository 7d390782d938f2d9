/**
 * Under 30% throttling and 5% ambiguous outcomes (the change applied, the response dropped),
 * 500 create + attach + assign sequences complete with no duplicate ENI and no leaked address,
 * checked in the simulator's own state by tag.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, startTestSimulator, TEST_VPC, testSeed } from '../testing/index.js';
import type { TencentVpcApi } from './tencent-vpc-api.js';

const SEQUENCES = 500;
const INSTANCES = 100; // 5 secondary ENIs each (maxEnis 6 includes the primary)
const IPS_PER_SEQUENCE = 3;
const CONCURRENCY = 20;

let sim: VpcSimulator;
let api: TencentVpcApi;

beforeAll(async () => {
  sim = await startTestSimulator({
    seed: testSeed({ instances: INSTANCES, maxEnis: 6, ipsPerEni: 10, podCidr: '10.1.0.0/20' }),
    taskDurations: { AttachNetworkInterface: 20, DetachNetworkInterface: 20 },
    faults: { '*': { errorRate: 0.3, errorCode: 'RequestLimitExceeded', ambiguousRate: 0.05 } },
    randomSeed: 4242,
  });
  api = adapterFor(sim, { retry: { maxAttempts: 25, baseDelayMs: 1, maxDelayMs: 20 }, taskPollIntervalMs: 5 });
});
afterAll(() => sim.stop());

it(`${SEQUENCES} create+attach+assign sequences under 30% throttling and 5% ambiguity: no duplicate ENI, no leaked IP`, async () => {
  const results = new Map<string, { eniId: string; instanceId: string; ips: readonly string[] }>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < SEQUENCES; i = next++) {
      const intent = `intent-${i}`;
      const instanceId = `ins-${String(i % INSTANCES).padStart(8, '0')}`;
      const eni = await api.createEni({
        clientToken: intent,
        vpcId: TEST_VPC,
        subnetId: 'subnet-pods0001',
        name: `n${i}`,
        tags: [],
      });
      await api.attachEni({ clientToken: `${intent}-attach`, eniId: eni.eniId, instanceId });
      const ips = await api.assignIps({ clientToken: `${intent}-assign`, eniId: eni.eniId, count: IPS_PER_SEQUENCE });
      results.set(intent, { eniId: eni.eniId, instanceId, ips });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(results.size).toBe(SEQUENCES);

  const stats = sim.stats();
  const total = (code: string) => Object.values(stats).reduce((n, byCode) => n + (byCode[code] ?? 0), 0);
  expect(total('RequestLimitExceeded')).toBeGreaterThan(SEQUENCES); // the faults really fired
  expect(total('Ambiguous')).toBeGreaterThan(20);

  const state = sim.dump();
  const ours = state.enis.filter((e) => e.tags.some((t) => t.Key === 'eni-ipam/cluster' && t.Value === 'cls-test'));
  // Zero duplicates: exactly one ENI per intent, and it is the one the adapter returned.
  expect(ours).toHaveLength(SEQUENCES);
  for (const [intent, r] of results) {
    const tagged = ours.filter((e) => e.tags.some((t) => t.Key === 'eni-ipam/intent' && t.Value === intent));
    expect(tagged.map((e) => e.eniId)).toEqual([r.eniId]);
    expect(tagged[0]?.instanceId).toBe(r.instanceId);
    expect(tagged[0]?.state).toBe('AVAILABLE');
    // Zero leaks: the cloud holds exactly the addresses the caller was told about.
    expect([...(tagged[0]?.secondaryIps ?? [])].sort()).toEqual([...r.ips].sort());
  }
  const pods = state.subnets.find((s) => s.subnetId === 'subnet-pods0001');
  expect(pods?.availableIps).toBe((pods?.totalIps ?? 0) - SEQUENCES * (1 + IPS_PER_SEQUENCE));
}, 240_000);
