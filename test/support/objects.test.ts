import { describe, expect, it } from 'vitest';
import { DIRECT_ENI_RESOURCE, ENI_IP_RESOURCE, instanceIdFor, makeNode, makePod } from './objects.js';

describe('object builders', () => {
  it('a node gets a stable TKE provider id and its zone labels', () => {
    const a = makeNode('10.0.0.12', { zone: 'ap-guangzhou-3' });
    expect(a.spec?.providerID).toBe(`qcloud:///ap-guangzhou-3/${instanceIdFor('10.0.0.12')}`);
    expect(instanceIdFor('10.0.0.12')).toMatch(/^ins-[a-z0-9]{8}$/);
    expect(instanceIdFor('10.0.0.12')).not.toBe(instanceIdFor('10.0.0.13'));
    expect(a.metadata.labels?.['topology.kubernetes.io/zone']).toBe('ap-guangzhou-3');
    expect(makeNode('x', { zone: 'z', providerID: 'qcloud:///z/ins-abcdefgh' }).spec?.providerID).toBe(
      'qcloud:///z/ins-abcdefgh',
    );
  });

  it.each([
    { eni: 'shared' as const, resource: ENI_IP_RESOURCE, networks: 'tke-route-eni' },
    { eni: 'direct' as const, resource: DIRECT_ENI_RESOURCE, networks: 'tke-direct-eni' },
  ])('a $eni pod requests $resource and names its network', ({ eni, resource, networks }) => {
    const pod = makePod('ns', 'p', { eni, node: 'n1' });
    expect(pod.spec?.containers[0]?.resources?.requests).toEqual({ [resource]: '1' });
    expect(pod.metadata.annotations?.['tke.cloud.tencent.com/networks']).toBe(networks);
    expect(pod.spec?.nodeName).toBe('n1');
  });

  it('a StatefulSet pod carries a controller owner reference and the pod-name label; annotations are kept', () => {
    const pod = makePod('ns', 'web-0', {
      ownerStatefulSet: { name: 'web', uid: 'u1' },
      annotations: { 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy': 'Never' },
    });
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'web',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.metadata.labels?.['statefulset.kubernetes.io/pod-name']).toBe('web-0');
    expect(pod.metadata.annotations?.['tke.cloud.tencent.com/vpc-ip-claim-delete-policy']).toBe('Never');
    expect(makePod('ns', 'plain', { eni: 'none' }).metadata.annotations).toEqual({});
  });
});
