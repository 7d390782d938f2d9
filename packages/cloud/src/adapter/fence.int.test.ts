/**
 * `mayMutate`: the caller's last word before a change leaves for the cloud. A refusal sends
 * nothing (the simulator counts no call), reads still go through, and a refusal that comes while
 * a call waits in its retry backoff stops it there: the case of a deposed ipamd leader whose
 * unassign, which takes no ClientToken, would otherwise land after the new leader re-bound the
 * address.
 */
import { IpamError, isIpamError } from '@eni-ipam/core';
import { afterEach, expect, it } from 'vitest';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, createTestEni, startTestSimulator } from '../testing/index.js';

let sim: VpcSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const refuseWhen = (refuse: () => boolean) => (action: string) => {
  if (refuse()) throw new IpamError('NotLeader', `not the leader: ${action} refused`);
};

it('a refused change is never sent; reads are not fenced', async () => {
  sim = await startTestSimulator();
  let leading = true;
  const api = adapterFor(sim, { mayMutate: refuseWhen(() => !leading) });
  const eni = await createTestEni(api, 'fence-1');
  const before = JSON.stringify(sim.stats());
  leading = false;
  const err = await createTestEni(api, 'fence-3').catch((e: unknown) => e);
  expect(isIpamError(err, 'NotLeader')).toBe(true);
  const unassign = await api
    .unassignIps({ clientToken: 'fence-u', eniId: eni.eniId, ips: ['10.1.0.201'] })
    .catch((e: unknown) => e);
  expect(isIpamError(unassign, 'NotLeader')).toBe(true);
  const del = await api.deleteEni({ clientToken: 'fence-4', eniId: eni.eniId }).catch((e: unknown) => e);
  expect(isIpamError(del, 'NotLeader')).toBe(true);
  expect(JSON.stringify(sim.stats())).toBe(before); // nothing reached the simulator
  const [seen] = await api.describeEnis({ eniIds: [eni.eniId] });
  expect(seen?.eniId).toBe(eni.eniId);
});

it('a call in its retry backoff is stopped when leadership goes meanwhile', async () => {
  sim = await startTestSimulator();
  let leading = true;
  const api = adapterFor(sim, {
    mayMutate: refuseWhen(() => !leading),
    retry: { maxAttempts: 50, baseDelayMs: 20, maxDelayMs: 40 },
  });
  const eni = await createTestEni(api, 'fence-5');
  await api.assignIps({ clientToken: 'fence-6', eniId: eni.eniId, ips: ['10.1.0.200'] });
  sim.setFaults({ UnassignPrivateIpAddresses: { errorRate: 1 } }); // RequestLimitExceeded: retried
  const pending = api
    .unassignIps({ clientToken: 'fence-u', eniId: eni.eniId, ips: ['10.1.0.200'] })
    .catch((e: unknown) => e);
  for (let i = 0; i < 500 && !sim.stats().UnassignPrivateIpAddresses; i++) await new Promise((r) => setTimeout(r, 2));
  leading = false;
  sim.setFaults({});
  expect(isIpamError(await pending, 'NotLeader')).toBe(true);
  const [after] = await api.describeEnis({ eniIds: [eni.eniId] });
  expect(after?.secondaryIps).toContain('10.1.0.200');
});
