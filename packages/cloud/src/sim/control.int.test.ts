/** The simulator's control API over HTTP: state dump by tag, fault rules, statistics. */
import { isIpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFor, startTestSimulator, TEST_VPC } from '../testing/index.js';
import type { SimDump, VpcSimulator } from './server.js';

let sim: VpcSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.stop());

const http = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};

describe('control API', () => {
  it('GET /_sim/state dumps ENIs with their addresses, all or by tag, and subnet counts', async () => {
    const api = adapterFor(sim);
    const a = await api.createEni({
      clientToken: 'ctl-a',
      vpcId: TEST_VPC,
      subnetId: 'subnet-pods0001',
      name: 'a',
      tags: [{ key: 'app', value: 'x' }],
    });
    await api.createEni({ clientToken: 'ctl-b', vpcId: TEST_VPC, subnetId: 'subnet-pods0001', name: 'b', tags: [] });
    const all = (await http('GET', '/_sim/state')).body as SimDump;
    expect(all.enis).toHaveLength(2);
    const tagged = (await http('GET', '/_sim/state?tag=app=x')).body as SimDump;
    expect(tagged.enis.map((e) => [e.eniId, e.primaryIp])).toEqual([[a.eniId, a.primaryIp]]);
    expect(tagged.subnets.find((s) => s.subnetId === 'subnet-pods0001')).toMatchObject({
      totalIps: 253,
      availableIps: 251,
    });
    expect(tagged.instances[0]).toMatchObject({ instanceId: 'ins-00000000', maxEnis: 4, ipsPerEni: 10 });
  });

  it('PUT /_sim/faults sets rules (checked), GET returns them, and they take effect', async () => {
    expect(
      (await http('PUT', '/_sim/faults', { DescribeSubnets: { errorRate: 1, errorCode: 'InternalError' } })).status,
    ).toBe(200);
    expect((await http('GET', '/_sim/faults')).body).toEqual({
      DescribeSubnets: { errorRate: 1, errorCode: 'InternalError' },
    });
    const api = adapterFor(sim, { retry: { maxAttempts: 1 } });
    await expect(api.describeSubnets(['subnet-pods0001'])).rejects.toMatchObject({
      code: 'CloudAmbiguous',
      details: { vendorCode: 'InternalError' },
    });
    expect((await http('PUT', '/_sim/faults', {})).status).toBe(200);
    expect(await api.describeSubnets(['subnet-pods0001'])).toHaveLength(1);
  });

  it.each([
    { case: 'not JSON', body: '{', status: 400 },
    { case: 'rate above 1', body: { '*': { errorRate: 2 } }, status: 400 },
    { case: 'unknown rule field', body: { '*': { explode: true } }, status: 400 },
  ])('PUT /_sim/faults with $case: $status and the rules unchanged', async ({ body, status }) => {
    await http('PUT', '/_sim/faults', { '*': { latencyMs: 0 } });
    expect((await http('PUT', '/_sim/faults', body)).status).toBe(status);
    expect((await http('GET', '/_sim/faults')).body).toEqual({ '*': { latencyMs: 0 } });
  });

  it('GET /_sim/stats counts calls by action and outcome; unknown endpoints are 404', async () => {
    const stats = (await http('GET', '/_sim/stats')).body as Record<string, Record<string, number>>;
    expect(stats.CreateNetworkInterface?.OK).toBe(2);
    expect(stats.DescribeSubnets?.InternalError).toBe(1);
    expect((await http('GET', '/_sim/nothing')).status).toBe(404);
  });

  it('added latency beyond the adapter timeout is an ambiguous outcome (a transport timeout)', async () => {
    sim.setFaults({ DescribeNetworkInterfaceLimit: { latencyMs: 1_500 } });
    const api = adapterFor(sim, { requestTimeoutMs: 200, retry: { maxAttempts: 1 } });
    const e = await api.describeInstanceLimits('ins-00000000').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isIpamError(e, 'CloudAmbiguous'), String(e)).toBe(true);
    sim.setFaults({});
  });
});
