/**
 * The cloud port, owned by its consumer (the ipamd cloud executor). Implemented by
 * `@eni-ipam/cloud` on tencentcloud-sdk-nodejs (VPC 2017-03-12) and served, in tests and the
 * demo, by the VPC simulator over the real wire protocol.
 *
 * Every mutating call carries a `clientToken` derived from the intent event id. Contract: a
 * repeated call with the same token and parameters returns the first call's result; it never
 * creates a second ENI nor binds an address twice. Asynchronous cloud tasks are awaited inside
 * the call: a resolved promise means the change is in effect.
 *
 * Errors are `IpamError`s with codes `CloudRetryable` (throttled, mutex task running),
 * `CloudAmbiguous` (transport error or timeout: the change may or may not have happened;
 * resolve by lookup with the token or tags), `CloudCapacity` (subnet out of IPs, quota),
 * `CloudInvalidState` (resource in the wrong state) and `CloudPermanent` (anything else).
 */

/** Dotted-quad IPv4 address, e.g. `10.0.3.17`. */
export type Ipv4 = string;

export type EniState = 'PENDING' | 'AVAILABLE' | 'ATTACHING' | 'DETACHING' | 'DELETING';

export interface Tag {
  key: string;
  value: string;
}

export interface Eni {
  eniId: string;
  subnetId: string;
  vpcId: string;
  mac: string;
  state: EniState;
  primaryIp: Ipv4;
  /** Secondary private IPs, in the order the cloud lists them. */
  secondaryIps: readonly Ipv4[];
  /** The instance it is attached to, if any. */
  instanceId?: string;
  /** Device index on the instance when attached. */
  deviceIndex?: number;
  tags: readonly Tag[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidr: string;
  zone: string;
  availableIps: number;
  totalIps: number;
}

/** ENI limits of an instance (DescribeNetworkInterfaceLimit). */
export interface InstanceEniLimits {
  /** ENIs an instance may have, including the primary one. */
  maxEnis: number;
  /** Private IPs per ENI, including the ENI's primary IP. */
  ipsPerEni: number;
}

export interface CreateEniRequest {
  clientToken: string;
  vpcId: string;
  subnetId: string;
  name: string;
  /** Tagged so an ambiguous outcome can be found again: cluster id and intent id at least. */
  tags: readonly Tag[];
  securityGroupIds?: readonly string[];
  /**
   * The new ENI's primary address (the API's `PrivateIpAddresses` with `Primary: true`). Without
   * it the cloud picks one, possibly an address the log holds for a bind in flight or a kept claim.
   */
  primaryIp?: Ipv4;
}

export interface AttachEniRequest {
  clientToken: string;
  eniId: string;
  instanceId: string;
}

export interface DetachEniRequest {
  clientToken: string;
  eniId: string;
  instanceId: string;
}

export interface DeleteEniRequest {
  clientToken: string;
  eniId: string;
}

/** Bind secondary IPs: either exactly these addresses, or `count` addresses the cloud picks. */
export type AssignIpsRequest =
  | { clientToken: string; eniId: string; ips: readonly Ipv4[]; count?: undefined }
  | { clientToken: string; eniId: string; count: number; ips?: undefined };

export interface UnassignIpsRequest {
  clientToken: string;
  eniId: string;
  ips: readonly Ipv4[];
}

export interface DescribeEnisFilter {
  eniIds?: readonly string[];
  vpcId?: string;
  subnetId?: string;
  instanceId?: string;
  /** All these tags must match. */
  tags?: readonly Tag[];
}

export interface VpcApi {
  createEni(req: CreateEniRequest): Promise<Eni>;
  attachEni(req: AttachEniRequest): Promise<void>;
  detachEni(req: DetachEniRequest): Promise<void>;
  deleteEni(req: DeleteEniRequest): Promise<void>;
  /** Returns the addresses now bound by this request. Larger requests are batched by 10. */
  assignIps(req: AssignIpsRequest): Promise<readonly Ipv4[]>;
  unassignIps(req: UnassignIpsRequest): Promise<void>;
  /** Every matching ENI (paginated internally). */
  describeEnis(filter: DescribeEnisFilter): Promise<readonly Eni[]>;
  describeSubnets(subnetIds: readonly string[]): Promise<readonly Subnet[]>;
  describeInstanceLimits(instanceId: string): Promise<InstanceEniLimits>;
}
