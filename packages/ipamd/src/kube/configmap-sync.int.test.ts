/** ConfigMap kube-system/tke-eni-ipamd -> applyConfigMap -> ConfigSink; rejections -> Warning Event, old config kept. */

import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_APPLIED_REASON, CONFIG_REJECTED_REASON } from './configmap-sync.js';
import { type FakeApiServer, type Harness, startHarness, waitFor } from './testing.js';

const NS = 'kube-system';
const cm = (subnets: string, extra: Record<string, string> = {}) => ({
  metadata: { name: 'tke-eni-ipamd', namespace: NS },
  data: { TKE_ENI_IPAMD_SUBNET_ID: subnets, TKE_ENI_IPAMD_VPC_ID: 'vpc-a1b2c3d4', ...extra },
});
const setSubnets = (api: FakeApiServer, subnets: string) =>
  api.patch('configmaps', 'tke-eni-ipamd', { data: { TKE_ENI_IPAMD_SUBNET_ID: subnets } }, { namespace: NS });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('ConfigMapSync', () => {
  it('watches the ConfigMap --configmap names, and counts outcomes', async () => {
    const outcomes: string[] = [];
    const harness = await startHarness(
      (api) => {
        api.create('configmaps', cm('subnet-aaaa1111'));
        api.create('configmaps', { metadata: { name: 'eni', namespace: 'ops' }, data: cm('subnet-cccc3333').data });
      },
      { configMap: { namespace: 'ops', name: 'eni' }, onConfigOutcome: (o) => outcomes.push(o) },
    );
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.sink.applied.length === 1, { what: 'the first apply' });
    expect(harness.sink.config.subnets).toEqual(['subnet-cccc3333']);
    harness.api.patch('configmaps', 'eni', { data: { TKE_ENI_IPAMD_SUBNET_ID: 'subnet-BAD' } }, { namespace: 'ops' });
    await waitFor(() => outcomes.includes('rejected'), { what: 'the rejection' });
    expect(outcomes).toEqual(['applied', 'rejected']);
    expect(harness.sink.config.subnets).toEqual(['subnet-cccc3333']);
  });

  it('applies the ConfigMap at start and each valid change live, with a Normal Event', async () => {
    const harness = await startHarness((api) => {
      api.create('configmaps', cm('subnet-aaaa1111'));
      api.create('configmaps', {
        metadata: { name: 'other', namespace: NS },
        data: { TKE_ENI_IPAMD_SUBNET_ID: 'junk' },
      });
    });
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.sink.applied.length === 1, { what: 'the first apply' });
    expect(harness.sink.config.subnets).toEqual(['subnet-aaaa1111']);
    setSubnets(harness.api, 'subnet-aaaa1111:subnet-bbbb2222');
    await waitFor(() => harness.sink.applied.length === 2, { what: 'the live change' });
    expect(harness.sink.config.subnets).toEqual(['subnet-aaaa1111', 'subnet-bbbb2222']);
    await harness.kube.idle();
    expect(harness.events(NS, CONFIG_APPLIED_REASON)[0]).toMatchObject({
      type: 'Normal',
      count: 2,
      message: expect.stringContaining('subnet-aaaa1111:subnet-bbbb2222'),
    });
    // An identical resync applies nothing.
    harness.kube.informers.configMap.resync();
    await harness.kube.idle();
    expect(harness.sink.applied).toHaveLength(2);
  });

  it('a malformed subnet id: a Warning Event with every reason, a log line, and the old configuration stays', async () => {
    const harness = await startHarness((api) => api.create('configmaps', cm('subnet-aaaa1111')));
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.sink.applied.length === 1, { what: 'the first apply' });

    setSubnets(harness.api, 'subnet-aaaa1111:subnet-BAD:subnet-aaaa1111');
    await waitFor(() => harness.events(NS, CONFIG_REJECTED_REASON).length === 1, { what: 'the Warning' });
    const [warning] = harness.events(NS, CONFIG_REJECTED_REASON);
    expect(warning).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'ConfigMap', name: 'tke-eni-ipamd', namespace: NS },
    });
    expect(warning?.message).toContain('subnet subnet-aaaa1111 is listed twice');
    expect(warning?.message).toContain('"subnet-BAD"');
    const log = harness.logs.find((l) => l.msg === 'ConfigMap rejected; the old configuration stays');
    expect(log?.reasons).toHaveLength(2);
    expect(harness.sink.applied).toHaveLength(1);
    expect(harness.sink.config.subnets).toEqual(['subnet-aaaa1111']);

    // A second bad version counts on the same Warning; a good one is applied.
    harness.sink.notEmpty.add('subnet-cccc3333');
    setSubnets(harness.api, 'subnet-cccc3333');
    await waitFor(() => harness.events(NS, CONFIG_REJECTED_REASON)[0]?.count === 2, { what: 'count 2' });
    expect(harness.events(NS, CONFIG_REJECTED_REASON)[0]?.message).toContain('subnet-cccc3333 is not empty in the VPC');
    setSubnets(harness.api, 'subnet-aaaa1111:subnet-dddd4444');
    await waitFor(() => harness.sink.applied.length === 2, { what: 'the good change' });
    expect(harness.sink.config.subnets).toEqual(['subnet-aaaa1111', 'subnet-dddd4444']);
  });

  it('a VPC change is rejected and a deleted ConfigMap keeps the configuration in force', async () => {
    const harness = await startHarness((api) => api.create('configmaps', cm('subnet-aaaa1111')));
    h = harness;
    await harness.kube.ready;
    await waitFor(() => harness.sink.applied.length === 1, { what: 'the first apply' });
    harness.api.patch(
      'configmaps',
      'tke-eni-ipamd',
      { data: { TKE_ENI_IPAMD_VPC_ID: 'vpc-zzzz9999' } },
      { namespace: NS },
    );
    await waitFor(() => harness.events(NS, CONFIG_REJECTED_REASON).length === 1, { what: 'the Warning' });
    expect(harness.events(NS, CONFIG_REJECTED_REASON)[0]?.message).toContain('the VPC cannot change');
    harness.api.delete('configmaps', 'tke-eni-ipamd', NS);
    await waitFor(() => harness.logs.some((l) => l.msg === 'ConfigMap deleted; the configuration in force stays'), {
      what: 'the deletion log',
    });
    expect(harness.sink.config).toMatchObject({ vpcId: 'vpc-a1b2c3d4', subnets: ['subnet-aaaa1111'] });
    expect(harness.sink.applied).toHaveLength(1);
  });

  it('asks the sink about the listed subnets; when it cannot answer, a Warning and a retry at the next resync', async () => {
    const harness = await startHarness((api) => api.create('configmaps', cm('subnet-aaaa1111')));
    h = harness;
    harness.sink.failFacts = 1;
    await harness.kube.ready;
    await waitFor(() => harness.events(NS, 'ConfigApplyFailed').length === 1, { what: 'the Warning' });
    expect(harness.events(NS, 'ConfigApplyFailed')[0]?.message).toContain('injected VPC failure');
    expect(harness.sink.applied).toEqual([]);
    harness.kube.informers.configMap.resync();
    await waitFor(() => harness.sink.applied.length === 1, { what: 'the retry' });
    expect(harness.sink.asked).toEqual([['subnet-aaaa1111'], ['subnet-aaaa1111']]);
  });
});
