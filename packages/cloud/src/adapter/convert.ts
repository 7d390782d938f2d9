/** The SDK's response models to the port's plain values. */
import type { Eni, EniState, Subnet } from '@eni-ipam/core';
import type {
  NetworkInterface,
  Subnet as SdkSubnet,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';

const STATES = new Set<string>(['PENDING', 'AVAILABLE', 'ATTACHING', 'DETACHING', 'DELETING']);

export const toEni = (n: NetworkInterface): Eni => {
  const ips = n.PrivateIpAddressSet ?? [];
  const state = STATES.has(n.State ?? '') ? (n.State as EniState) : 'PENDING';
  return {
    eniId: n.NetworkInterfaceId ?? '',
    subnetId: n.SubnetId ?? '',
    vpcId: n.VpcId ?? '',
    mac: n.MacAddress ?? '',
    state,
    primaryIp: ips.find((i) => i.Primary)?.PrivateIpAddress ?? '',
    secondaryIps: ips.filter((i) => !i.Primary).map((i) => i.PrivateIpAddress ?? ''),
    ...(n.Attachment?.InstanceId
      ? { instanceId: n.Attachment.InstanceId, deviceIndex: n.Attachment.DeviceIndex ?? 0 }
      : {}),
    tags: (n.TagSet ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
  };
};

export const toSubnet = (s: SdkSubnet): Subnet => ({
  subnetId: s.SubnetId ?? '',
  vpcId: s.VpcId ?? '',
  cidr: s.CidrBlock ?? '',
  zone: s.Zone ?? '',
  availableIps: s.AvailableIpAddressCount ?? 0,
  totalIps: s.TotalIpAddressCount ?? 0,
});

export const chunks = <T>(xs: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
};
