import { adapterFor, startTestSimulator } from '@eni-ipam/cloud/testing';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { IpamdCore } from '../service/ipamd-core.js';
import { ctx, setUpCluster, startCore, testConfig } from '../testing/service-fixture.js';

let sim: Awaited<ReturnType<typeof startTestSimulator>>;
let core: IpamdCore | undefined;
beforeEach(async () => {
  sim = await startTestSimulator();
});
afterEach(async () => {
  await core?.stop();
  core = undefined;
  await sim.stop();
});

it('expires a retained claim once its duration has passed on the clock, not before', async () => {
  const store = new InMemoryEventStore();
  const vpc = adapterFor(sim);
  const c = await startCore({
    store,
    vpc,
    fence: store.grantLeadership('leader'),
    extra: { service: { claimPolicyOf: () => 'Never' } },
  });
  core = c;
  await setUpCluster(c, vpc, 1, testConfig({ claimExpiryMs: 600_000 }));
  await c.settle();
  const pod = { namespace: 'default', name: 'db-0', uid: 'u1' };
  await c.service.allocate('node-0', { pod, containerId: 'k1', mode: 'shared' }, ctx('node-0'));
  await c.service.release('node-0', 'k1', ctx('node-0'));
  expect(c.host.claims()['default/db-0']?.state).toBe('retained');

  // given a retained claim, when the clock is short of the duration, then nothing expires
  c.clock.advance(599_000);
  expect(c.claimExpiry.dueSubnets()).toEqual([]);
  expect(await c.claimExpiry.tick()).toBe(0);
  expect(c.host.claims()['default/db-0']).toBeDefined();
  // when it has passed, then the claim expires (once)
  c.clock.advance(1_000);
  expect(c.claimExpiry.dueSubnets()).toEqual(['subnet-pods0001']);
  expect(await c.claimExpiry.tick()).toBe(1);
  expect(c.host.claims()['default/db-0']).toBeUndefined();
  expect(await c.claimExpiry.tick()).toBe(0);
});
