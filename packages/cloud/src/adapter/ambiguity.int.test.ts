/**
 * Ambiguous outcomes (the change applied, the response lost) resolved without a second effect:
 * a create by its intent tag, a delete and an unassign (which take no ClientToken) by looking
 * at the ENI, an attach by repeating its ClientToken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultConfig } from '../sim/faults.js';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, createTestEni, startTestSimulator, TEST_VPC } from '../testing/index.js';

let sim: VpcSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** Starts a simulator, makes one ENI, then turns `faults` on. */
const setup = async (faults: FaultConfig) => {
  const s = await startTestSimulator();
  sim = s;
  // Generous attempts: some tests lift the fault only once they have seen it fire.
  const api = adapterFor(s, { retry: { maxAttempts: 60, baseDelayMs: 2, maxDelayMs: 40 } });
  const eni = await createTestEni(api, 'setup');
  s.setFaults(faults);
  return { s, api, eni };
};

it('an ambiguous create is resolved by its intent tag: one call, one ENI, the same one returned', async () => {
  const { s, api } = await setup({ CreateNetworkInterface: { ambiguousRate: 1 } });
  const eni = await api.createEni({
    clientToken: 'tok-1',
    vpcId: TEST_VPC,
    subnetId: 'subnet-pods0001',
    name: 'n',
    tags: [{ key: 'eni-ipam/intent', value: 'intent-77' }],
  });
  expect(s.stats().CreateNetworkInterface).toEqual({ OK: 1, Ambiguous: 1 }); // setup's, then ours
  expect(s.dump({ key: 'eni-ipam/intent', value: 'intent-77' }).enis.map((e) => e.eniId)).toEqual([eni.eniId]);
});

it('an ambiguous create that did not apply (HTTP 503) is sent again with the same token', async () => {
  const { s, api } = await setup({});
  s.setFaults({ CreateNetworkInterface: { http5xxRate: 1 } });
  const pending = api.createEni({
    clientToken: 'tok-2',
    vpcId: TEST_VPC,
    subnetId: 'subnet-pods0001',
    name: 'n',
    tags: [],
  });
  for (let i = 0; i < 500 && !s.stats().CreateNetworkInterface?.HTTP503; i++)
    await new Promise((r) => setTimeout(r, 2));
  s.setFaults({});
  const eni = await pending;
  expect(s.dump({ key: 'eni-ipam/intent', value: 'tok-2' }).enis.map((e) => e.eniId)).toEqual([eni.eniId]);
});

it('an ambiguous attach is repeated with its ClientToken and replays the first result', async () => {
  const { s, api, eni } = await setup({ AttachNetworkInterface: { ambiguousRate: 0.999 } });
  const attaching = api.attachEni({ clientToken: 'att-1', eniId: eni.eniId, instanceId: 'ins-00000000' });
  for (let i = 0; i < 500 && !s.stats().AttachNetworkInterface?.Ambiguous; i++)
    await new Promise((r) => setTimeout(r, 2));
  s.setFaults({});
  await attaching;
  expect(s.dump().enis.find((e) => e.eniId === eni.eniId)?.instanceId).toBe('ins-00000000');
  expect(s.stats().AttachNetworkInterface?.OK).toBe(1); // the repeat, answered from the token's record
});

it('an ambiguous delete that applied is recognised (the ENI is gone) instead of failing', async () => {
  const { s, api, eni } = await setup({ DeleteNetworkInterface: { ambiguousRate: 1 } });
  await api.deleteEni({ clientToken: 'del-1', eniId: eni.eniId });
  expect(s.dump().enis).toEqual([]);
  expect(s.stats().DeleteNetworkInterface).toEqual({ Ambiguous: 1 });
});

it('an ambiguous unassign that applied is recognised (the addresses are gone) instead of failing', async () => {
  const { s, api, eni } = await setup({});
  const ips = await api.assignIps({ clientToken: 'as-1', eniId: eni.eniId, count: 2 });
  s.setFaults({ UnassignPrivateIpAddresses: { ambiguousRate: 1 } });
  await api.unassignIps({ clientToken: 'un-1', eniId: eni.eniId, ips });
  expect(s.dump().enis[0]?.secondaryIps).toEqual([]);
  expect(s.stats().UnassignPrivateIpAddresses).toEqual({ Ambiguous: 1 });
});

it('throttling past the retry budget surfaces as CloudRetryable', async () => {
  const { api } = await setup({ DescribeSubnets: { errorRate: 1 } });
  await expect(api.describeSubnets(['subnet-pods0001'])).rejects.toMatchObject({
    code: 'CloudRetryable',
    details: { vendorCode: 'RequestLimitExceeded' },
  });
});

describe('when the cloud has forgotten the ClientToken by the time of the repeat', () => {
  /** A simulator whose clock can jump past its token retention (one second here). */
  const forgetful = async () => {
    let skew = 0;
    const s = await startTestSimulator({ now: () => Date.now() + skew, taskRetentionMs: 1_000 });
    sim = s;
    const api = adapterFor(s, { retry: { maxAttempts: 60, baseDelayMs: 2, maxDelayMs: 40 } });
    const eni = await createTestEni(api, 'setup');
    /** Lets the first try apply and lose its answer, then forgets its token and lets the repeat through. */
    const loseAnswerThenForget = async (action: string, run: Promise<void>) => {
      s.setFaults({ [action]: { ambiguousRate: 1 } });
      for (let i = 0; i < 1000 && !s.stats()[action]?.Ambiguous; i++) await new Promise((r) => setTimeout(r, 2));
      skew += 120_000; // past the retention and the 60 s pruning period; within the 300 s signature window
      s.setFaults({});
      await run;
    };
    return { s, api, eni, loseAnswerThenForget };
  };

  it('an attach that applied is recognised from the ENI (AttachmentAlreadyExists), not failed', async () => {
    const { s, api, eni, loseAnswerThenForget } = await forgetful();
    const attaching = api.attachEni({ clientToken: 'att-f', eniId: eni.eniId, instanceId: 'ins-00000000' });
    s.setFaults({ AttachNetworkInterface: { ambiguousRate: 1 } });
    await loseAnswerThenForget('AttachNetworkInterface', attaching);
    expect(s.dump().enis[0]).toMatchObject({ instanceId: 'ins-00000000', state: 'AVAILABLE' });
    expect(s.stats().AttachNetworkInterface?.['UnsupportedOperation.AttachmentAlreadyExists']).toBeGreaterThan(0);
  });

  it('a detach that applied is recognised from the ENI (AttachmentNotFound), not failed', async () => {
    const { s, api, eni, loseAnswerThenForget } = await forgetful();
    await api.attachEni({ clientToken: 'att-1', eniId: eni.eniId, instanceId: 'ins-00000000' });
    const detaching = api.detachEni({ clientToken: 'det-f', eniId: eni.eniId, instanceId: 'ins-00000000' });
    await loseAnswerThenForget('DetachNetworkInterface', detaching);
    expect(s.dump().enis[0]?.instanceId).toBeUndefined();
    expect(s.stats().DetachNetworkInterface?.['UnsupportedOperation.AttachmentNotFound']).toBeGreaterThan(0);
  });
});
