import {
  type AssignIpsRequest,
  type CreateEniRequest,
  type DescribeEnisFilter,
  type Eni,
  type InstanceEniLimits,
  IpamError,
  type IpamErrorCode,
  type Subnet,
  type VpcApi,
} from '@eni-ipam/core';

type Call = keyof VpcApi;

/**
 * A stateful in-memory VPC implementing the port, for controller unit tests: ENIs, addresses
 * and tags as the real VPC keeps them, and scripted failures. `after: true` makes the change
 * happen and then fail (the ambiguous case: the call took effect, the answer was lost).
 */
export class FakeVpc implements VpcApi {
  readonly enis = new Map<string, Eni>();
  readonly calls: Call[] = [];
  private faults: { call: Call; code: IpamErrorCode; after: boolean }[] = [];
  private seq = 0;
  /** The last octet of the next new ENI's primary IP (10.1.0.x); tests may set it. */
  nextIp = 10;
  /** Choose primaries itself even when one is asked for (a cloud that picks on its own). */
  ignorePrimaryIp = false;
  /** Resolves calls only when released (to hold a call in flight). */
  gate: Promise<void> | undefined;

  constructor(
    private readonly subnet: Subnet = {
      subnetId: 'subnet-pods0001',
      vpcId: 'vpc-test0001',
      cidr: '10.1.0.0/24',
      zone: 'ap-guangzhou-3',
      availableIps: 253,
      totalIps: 253,
    },
    private readonly limits: InstanceEniLimits = { maxEnis: 4, ipsPerEni: 10 },
  ) {}

  failNext(call: Call, code: IpamErrorCode, after = false): void {
    this.faults.push({ call, code, after });
  }

  private async enter(call: Call): Promise<{ code: IpamErrorCode; after: boolean } | undefined> {
    this.calls.push(call);
    await this.gate;
    const i = this.faults.findIndex((f) => f.call === call);
    if (i < 0) return undefined;
    const [f] = this.faults.splice(i, 1);
    if (f && !f.after) throw new IpamError(f.code, `scripted ${f.code} on ${call}`);
    return f;
  }

  private eni(eniId: string): Eni {
    const e = this.enis.get(eniId);
    if (!e) throw new IpamError('CloudInvalidState', `no ENI ${eniId}`);
    return e;
  }

  private finish<T>(f: { code: IpamErrorCode } | undefined, v: T): T {
    if (f) throw new IpamError(f.code, 'scripted failure after the change');
    return v;
  }

  async createEni(req: CreateEniRequest): Promise<Eni> {
    const f = await this.enter('createEni');
    const same = [...this.enis.values()].find((e) => e.tags.some((t) => t.value === req.clientToken));
    if (same) return this.finish(f, same); // the same client token: the first call's result
    const wanted = req.primaryIp && !this.ignorePrimaryIp ? req.primaryIp : undefined;
    const holder = [...this.enis.values()].find(
      (e) => wanted && (e.primaryIp === wanted || e.secondaryIps.includes(wanted)),
    );
    // as the cloud (and the simulator) answer an address that is taken
    if (holder)
      throw new IpamError('CloudInvalidState', `ResourceInUse: The private IP \`${wanted}\` is already in use.`);
    this.seq += 1;
    const eni: Eni = {
      eniId: `eni-fake${String(this.seq).padStart(4, '0')}`,
      subnetId: req.subnetId,
      vpcId: req.vpcId,
      mac: `20:90:6f:00:00:${this.seq.toString(16).padStart(2, '0')}`,
      state: 'AVAILABLE',
      primaryIp: req.primaryIp && !this.ignorePrimaryIp ? req.primaryIp : `10.1.0.${this.nextIp++}`,
      secondaryIps: [],
      tags: [...req.tags, { key: 'token', value: req.clientToken }],
    };
    this.enis.set(eni.eniId, eni);
    return this.finish(f, eni);
  }

  async attachEni(req: { eniId: string; instanceId: string }): Promise<void> {
    const f = await this.enter('attachEni');
    this.enis.set(req.eniId, { ...this.eni(req.eniId), instanceId: req.instanceId });
    this.finish(f, undefined);
  }

  async detachEni(req: { eniId: string }): Promise<void> {
    const f = await this.enter('detachEni');
    const { instanceId: _i, ...rest } = this.eni(req.eniId);
    this.enis.set(req.eniId, rest);
    this.finish(f, undefined);
  }

  async deleteEni(req: { eniId: string }): Promise<void> {
    const f = await this.enter('deleteEni');
    this.enis.delete(req.eniId);
    this.finish(f, undefined);
  }

  async assignIps(req: AssignIpsRequest): Promise<readonly string[]> {
    const f = await this.enter('assignIps');
    const e = this.eni(req.eniId);
    const ips = req.ips ?? [];
    this.enis.set(req.eniId, { ...e, secondaryIps: [...new Set([...e.secondaryIps, ...ips])] });
    return this.finish(f, ips);
  }

  async unassignIps(req: { eniId: string; ips: readonly string[] }): Promise<void> {
    const f = await this.enter('unassignIps');
    const e = this.eni(req.eniId);
    this.enis.set(req.eniId, { ...e, secondaryIps: e.secondaryIps.filter((ip) => !req.ips.includes(ip)) });
    this.finish(f, undefined);
  }

  async describeEnis(filter: DescribeEnisFilter): Promise<readonly Eni[]> {
    this.calls.push('describeEnis');
    return [...this.enis.values()].filter(
      (e) =>
        (!filter.eniIds || filter.eniIds.includes(e.eniId)) &&
        (filter.tags ?? []).every((t) => e.tags.some((x) => x.key === t.key && x.value === t.value)),
    );
  }

  async describeSubnets(ids: readonly string[]): Promise<readonly Subnet[]> {
    return ids.includes(this.subnet.subnetId) ? [this.subnet] : [];
  }

  async describeInstanceLimits(): Promise<InstanceEniLimits> {
    return this.limits;
  }
}
