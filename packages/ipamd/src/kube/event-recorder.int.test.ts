/** KubeEventRecorder and PodEventRecorder against the fake apiserver: aggregation like client-go's recorder. */
import { IpamError, type IpamErrorCode } from '@eni-ipam/core';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeEventRecorder } from './event-recorder.js';
import { PodEventRecorder } from './pod-event-recorder.js';
import { captureLogger, type FakeApiServer, makePod, startFakeApiServer } from './testing.js';

let api: FakeApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const setup = async () => {
  const a = await startFakeApiServer();
  api = a;
  const pod = a.create('pods', makePod('default', 'web-0', { node: 'n1' }));
  const core = a.kubeConfig().makeApiClient(CoreV1Api);
  const { logger, lines } = captureLogger();
  const recorder = () => new KubeEventRecorder({ core, instance: 'ipamd-0', logger });
  const events = () => a.list<CoreV1Event>('events', 'default');
  const ref = { namespace: 'default', name: 'web-0', uid: pod.metadata.uid as string };
  return { a, recorder, events, ref, lines };
};

describe('KubeEventRecorder', () => {
  it('aggregates repeats of one reason on one object into one Event with a count, also across a restart', async () => {
    const { recorder, events, ref } = await setup();
    const r = recorder();
    const obj = { kind: 'Pod', ...ref };
    await r.warning(obj, 'SomeReason', 'first');
    await r.warning(obj, 'SomeReason', 'second');
    await r.warning(obj, 'OtherReason', 'other');
    await r.warning({ ...obj, name: 'web-1', uid: 'u-1' }, 'SomeReason', 'another pod');
    expect(
      events()
        .map((e) => `${e.involvedObject.name}:${e.reason}:${e.count}:${e.message}`)
        .sort(),
    ).toEqual(['web-0:OtherReason:1:other', 'web-0:SomeReason:2:second', 'web-1:SomeReason:1:another pod']);
    const some = events().find((e) => e.reason === 'SomeReason' && e.involvedObject.name === 'web-0');
    expect(some).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Pod', namespace: 'default', uid: ref.uid },
      source: { component: 'eni-ipamd', host: 'ipamd-0' },
      reportingComponent: 'eni-ipamd',
      reportingInstance: 'ipamd-0',
    });

    // A restarted ipamd (empty memory) continues the series instead of starting a new one.
    await recorder().warning(obj, 'SomeReason', 'after restart');
    expect(events().filter((e) => e.reason === 'SomeReason' && e.involvedObject.name === 'web-0')).toEqual([
      expect.objectContaining({ count: 3, message: 'after restart' }),
    ]);
  });

  it('starts a new series when the Event went away, and never throws when the apiserver fails', async () => {
    const { a, recorder, events, ref, lines } = await setup();
    const r = recorder();
    const obj = { kind: 'Pod', ...ref };
    await r.warning(obj, 'R', 'one');
    const [first] = events();
    a.delete('events', first?.metadata?.name ?? '', 'default');
    await r.warning(obj, 'R', 'two');
    expect(events()).toEqual([expect.objectContaining({ count: 1, message: 'two' })]);

    a.injectFault({ method: 'PATCH', resource: 'events', code: 500 });
    await expect(r.warning(obj, 'R', 'three')).resolves.toBeUndefined();
    expect(lines.some((l) => l.msg === 'could not record a Kubernetes Event')).toBe(true);
    expect(events()).toEqual([expect.objectContaining({ count: 1, message: 'two' })]);
  });
});

describe('PodEventRecorder', () => {
  it.each<{ code: IpamErrorCode; reason: string; says: string }>([
    { code: 'PoolExhausted', reason: 'VpcIpPoolEmpty', says: 'empty and is being refilled' },
    { code: 'SubnetExhausted', reason: 'VpcSubnetExhausted', says: 'no free address' },
    { code: 'ClaimInOtherSubnet', reason: 'VpcIpClaimInOtherSubnet', says: 'static IP claim' },
    { code: 'NoSubnetInZone', reason: 'VpcNoSubnetInZone', says: "no configured subnet is in the node's zone" },
    { code: 'CloudPermanent', reason: 'VpcIpAllocationFailed', says: 'could not be allocated' },
  ])('$code -> a Warning $reason on the pod, counted on repeats', async ({ code, reason, says }) => {
    const { recorder, events, ref } = await setup();
    const pods = new PodEventRecorder(recorder());
    const err = new IpamError(code, `detail of ${code}`);
    await pods.cannotGetAddress(ref, err);
    await pods.cannotGetAddress(ref, err);
    expect(events()).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason,
        count: 2,
        involvedObject: expect.objectContaining({ kind: 'Pod', name: 'web-0', uid: ref.uid }),
      }),
    ]);
    expect(events()[0]?.message).toContain(says);
    expect(events()[0]?.message).toContain(`detail of ${code}`);
  });
});
