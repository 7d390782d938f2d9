import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeFacts, ZONE_LABEL } from './node-facts.js';

const node = (providerID: string | undefined, zoneLabel?: string): V1Node => ({
  metadata: { name: 'n1', labels: zoneLabel ? { [ZONE_LABEL]: zoneLabel } : {} },
  spec: providerID === undefined ? {} : { providerID },
});

describe('nodeFacts', () => {
  it.each([
    { providerID: 'qcloud:///ap-guangzhou-3/ins-abcd1234', label: undefined, zone: 'ap-guangzhou-3' },
    { providerID: 'qcloud:///ap-guangzhou-3/ins-abcd1234', label: 'ap-guangzhou-4', zone: 'ap-guangzhou-3' },
    { providerID: 'qcloud:///100003/ins-abcd1234', label: 'ap-guangzhou-3', zone: 'ap-guangzhou-3' },
    { providerID: 'qcloud:////ins-abcd1234', label: 'ap-shanghai-2', zone: 'ap-shanghai-2' },
    { providerID: 'qcloud:///100003/ins-abcd1234', label: undefined, zone: '100003' },
  ])('$providerID with label $label is in zone $zone', ({ providerID, label, zone }) => {
    expect(nodeFacts(node(providerID, label))).toEqual({
      ok: true,
      facts: { instanceId: 'ins-abcd1234', zone, labels: label ? { [ZONE_LABEL]: label } : {} },
    });
  });

  it.each([
    { providerID: undefined, says: 'no spec.providerID' },
    { providerID: 'aws:///us-east-1a/i-0123456789', says: 'is not qcloud:///<zone>/<ins-id>' },
    { providerID: 'qcloud:///ap-guangzhou-3/i-abcd1234', says: 'is not a CVM instance id' },
    { providerID: 'qcloud:///ap-guangzhou-3/ins-ABCD1234', says: 'is not a CVM instance id' },
    { providerID: 'qcloud:////ins-abcd1234', says: 'no zone' },
    { providerID: 'qcloud:///ap-guangzhou-3/ins-abcd1234/x', says: 'is not qcloud' },
  ])('refuses $providerID, saying "$says"', ({ providerID, says }) => {
    const r = nodeFacts(node(providerID));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(says);
  });
});
