import type { NodeEvent } from '../events/node-events.js';
import type { SubnetEvent } from '../events/subnet-events.js';
import type { PodRef } from '../values/pod.js';

/** Fixture names: a node, two subnets in one zone, one in another, some ENIs. */
export const NODE = 'node-a';
export const ZONE = 'ap-guangzhou-3';
export const SUBNET_A = 'subnet-aaaa0001';
export const SUBNET_B = 'subnet-bbbb0002';
export const VPC = 'vpc-abcd1234';
export const ENI_1 = 'eni-aaaa0001';
export const ENI_2 = 'eni-aaaa0002';
export const ENI_3 = 'eni-aaaa0003';

export const pod = (name: string, namespace = 'default'): PodRef => ({ namespace, name });

/** NodeRegistered with 4 ENIs of 5 IPs (3 usable ENIs x 4 secondaries = 12 bindable). */
export const nodeRegistered = (limits = { maxEnis: 4, ipsPerEni: 5 }, node = NODE): NodeEvent => ({
  type: 'NodeRegistered',
  data: { node, instanceId: 'ins-00000001', zone: ZONE, limits },
});

let mac = 0;
/** An ENI created and attached (intents and outcomes), with these secondary IPs bound. */
export const eniReady = (eniId: string, subnetId: string, primaryIp: string, ips: string[] = []): NodeEvent[] => {
  const t = `t-${eniId}`;
  mac = (mac + 1) % 256;
  const m = `52:54:00:00:00:${mac.toString(16).padStart(2, '0')}`;
  const out: NodeEvent[] = [
    { type: 'EniCreateRequested', data: { intentId: `${t}:c`, clientToken: `${t}:c`, subnetId, why: 'test' } },
    { type: 'EniCreated', data: { intentId: `${t}:c`, eniId, subnetId, primaryIp, mac: m } },
    {
      type: 'EniAttachRequested',
      data: { intentId: `${t}:a`, clientToken: `${t}:a`, eniId, instanceId: 'ins-00000001', why: 'test' },
    },
    { type: 'EniAttached', data: { intentId: `${t}:a`, eniId } },
  ];
  if (ips.length > 0) out.push(...ipsBound(eniId, subnetId, ips, `${t}:b`));
  return out;
};

/** A bind intent and its success. */
export const ipsBound = (
  eniId: string,
  subnetId: string,
  ips: string[],
  intentId = `b-${eniId}-${ips[0]}`,
): NodeEvent[] => [
  { type: 'IpBindRequested', data: { intentId, clientToken: intentId, eniId, subnetId, ips, why: 'test' } },
  { type: 'IpsBound', data: { intentId, eniId, ips } },
];

export const ipAllocated = (containerId: string, p: PodRef, ip: string, eniId: string): NodeEvent => ({
  type: 'IpAllocated',
  data: { pod: p, containerId, ip, eniId, why: 'test' },
});

/** SubnetRegistered: a /24 in the fixture zone. */
export const subnetRegistered = (subnetId = SUBNET_A, cidr = '10.0.1.0/24', zone = ZONE): SubnetEvent => ({
  type: 'SubnetRegistered',
  data: { subnetId, vpcId: VPC, cidr, zone },
});
