/**
 * Asynchronous actions: the adapter follows DescribeVpcTaskResult until the task settles, and
 * the simulator's state rules (a detach during ATTACHING, an assign while a task runs) come back
 * as typed errors.
 */
import { type IpamError, isIpamError, type VpcApi } from '@eni-ipam/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { VpcSimulator } from '../sim/server.js';
import { adapterFor, createTestEni, startTestSimulator } from '../testing/index.js';

const INS = 'ins-00000000';
let sim: VpcSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

/** Starts an attach and, once the simulator shows the ENI ATTACHING, hands back the call still
 *  under way (wrapped: an async function returning the promise itself would wait for it). */
const attachUntilRunning = async (
  s: VpcSimulator,
  api: VpcApi,
  eniId: string,
): Promise<{ attaching: Promise<void> }> => {
  const attaching = api.attachEni({ clientToken: 'a1', eniId, instanceId: INS });
  await until(() => s.dump().enis[0]?.state === 'ATTACHING');
  return { attaching };
};

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as IpamError,
  );

describe('asynchronous attach', () => {
  it('attachEni resolves only once the task reports SUCCESS (RUNNING was observed first)', async () => {
    sim = await startTestSimulator({ taskDurations: { AttachNetworkInterface: 500 } });
    const api = adapterFor(sim, { taskPollIntervalMs: 10 });
    const eni = await createTestEni(api);
    const { attaching } = await attachUntilRunning(sim, api, eni.eniId);
    await attaching;
    expect(sim.dump().enis[0]).toMatchObject({ state: 'AVAILABLE', instanceId: INS, deviceIndex: 1 });
    // More than one poll: at least one answered RUNNING before SUCCESS.
    expect(sim.stats().DescribeVpcTaskResult?.OK ?? 0).toBeGreaterThan(1);
  });

  it('a detach during ATTACHING gets UnsupportedOperation.InvalidState, as CloudInvalidState', async () => {
    sim = await startTestSimulator({ taskDurations: { AttachNetworkInterface: 1_000 } });
    const api = adapterFor(sim, { taskPollIntervalMs: 10 });
    const eni = await createTestEni(api);
    const { attaching } = await attachUntilRunning(sim, api, eni.eniId);
    const err = await caught(api.detachEni({ clientToken: 'd1', eniId: eni.eniId, instanceId: INS }));
    expect(isIpamError(err, 'CloudInvalidState')).toBe(true);
    expect(err?.details.vendorCode).toBe('UnsupportedOperation.InvalidState');
    await attaching;
    expect(sim.dump().enis[0]?.instanceId).toBe(INS);
  });

  it('an assign while the attach task runs meets MutexOperationTaskRunning, is retried, and succeeds', async () => {
    sim = await startTestSimulator({ taskDurations: { AttachNetworkInterface: 1_000 } });
    const api = adapterFor(sim, { retry: { maxAttempts: 200, baseDelayMs: 5, maxDelayMs: 20 } });
    const eni = await createTestEni(api);
    const { attaching } = await attachUntilRunning(sim, api, eni.eniId);
    const ips = await api.assignIps({ clientToken: 'as1', eniId: eni.eniId, count: 2 });
    await attaching;
    expect(ips).toHaveLength(2);
    expect(sim.stats().AssignPrivateIpAddresses?.['UnsupportedOperation.MutexOperationTaskRunning']).toBeGreaterThan(0);
  });

  it('a task that ends FAILED is a permanent error and leaves the ENI unattached', async () => {
    sim = await startTestSimulator({ faults: { AttachNetworkInterface: { taskFailRate: 1 } } });
    const api = adapterFor(sim);
    const eni = await createTestEni(api);
    const err = await caught(api.attachEni({ clientToken: 'a1', eniId: eni.eniId, instanceId: INS }));
    expect(isIpamError(err, 'CloudPermanent')).toBe(true);
    expect(err?.details.taskStatus).toBe('FAILED');
    expect(sim.dump().enis[0]).toMatchObject({ state: 'AVAILABLE' });
    expect(sim.dump().enis[0]?.instanceId).toBeUndefined();
  });

  it('a task still RUNNING past the adapter timeout is an ambiguous outcome', async () => {
    sim = await startTestSimulator({ taskDurations: { AttachNetworkInterface: 5_000 } });
    const api = adapterFor(sim, { taskTimeoutMs: 100, taskPollIntervalMs: 20 });
    const eni = await createTestEni(api);
    const err = await caught(api.attachEni({ clientToken: 'a1', eniId: eni.eniId, instanceId: INS }));
    expect(isIpamError(err, 'CloudAmbiguous')).toBe(true);
  });
});

describe('asynchronous create and delete', () => {
  it('a create whose task runs returns the ENI once AVAILABLE; a delete returns once it is gone', async () => {
    sim = await startTestSimulator({ taskDurations: { CreateNetworkInterface: 200, DeleteNetworkInterface: 200 } });
    const api = adapterFor(sim, { taskPollIntervalMs: 10 });
    const eni = await createTestEni(api);
    expect(eni.state).toBe('AVAILABLE');
    const deleting = api.deleteEni({ clientToken: 'd1', eniId: eni.eniId });
    const s = sim;
    await until(() => s.dump().enis[0]?.state === 'DELETING');
    await deleting;
    expect(sim.dump().enis).toEqual([]);
  });
});
