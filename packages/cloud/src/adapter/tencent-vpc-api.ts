/**
 * `VpcApi` on tencentcloud-sdk-nodejs (VPC 2017-03-12).
 *
 * - Every call takes a token from the process-wide `RateBudget` (per action; pod work first).
 * - Retryable errors are retried with backoff and jitter; ambiguous outcomes are resolved, never
 *   blindly repeated: a create is looked up by its intent tag, then re-sent with the same
 *   ClientToken; a delete or unassign (which take no token) checks the ENI before trying again.
 * - Asynchronous actions are awaited through DescribeVpcTaskResult (TaskId = the call's RequestId).
 *
 * @example
 *   const api = createTencentVpcApi({ region: 'ap-guangzhou', credentials, clusterId: 'cls-1' });
 *   const podApi = api.withPriority('pod');       // same budget, served first
 *   const eni = await podApi.createEni({ clientToken: intent.id, vpcId, subnetId, name, tags: [] });
 */
import {
  type AssignIpsRequest,
  type AttachEniRequest,
  type CreateEniRequest,
  type DeleteEniRequest,
  type DescribeEnisFilter,
  type DetachEniRequest,
  type Eni,
  type InstanceEniLimits,
  IpamError,
  type Ipv4,
  isIpamError,
  type Subnet,
  type Tag,
  type UnassignIpsRequest,
  type VpcApi,
} from '@eni-ipam/core';
import type { Filter } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';
import { CloudCaller, type Shared, vendorCode } from './cloud-caller.js';
import { chunks, toEni, toSubnet } from './convert.js';
import { createCloudLogger } from './logger.js';
import { defaultRateLimits, defaultTagKeys, type TencentVpcApiOptions, type VpcAction } from './options.js';
import { type Priority, RateBudget, realTimer } from './rate-budget.js';
import { defaultRetryPolicy } from './retry.js';
import { createVpcSdkClient } from './sdk-client.js';
import { check, schemas } from './validate.js';

export {
  defaultRateLimits,
  defaultTagKeys,
  type EniTagKeys,
  type TencentVpcApiOptions,
  type VpcAction,
} from './options.js';

export const createTencentVpcApi = (o: TencentVpcApiOptions): TencentVpcApi => {
  const timer = o.timer ?? realTimer;
  const limits = { ...defaultRateLimits, ...o.rateLimits };
  const shared: Shared = {
    client: createVpcSdkClient({
      region: o.region,
      credentials: o.credentials,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.connectTo ? { connectTo: o.connectTo } : {}),
      requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    }),
    budget: o.budget ?? new RateBudget((a) => limits[a as VpcAction] ?? { ratePerSecond: 10, burst: 10 }, timer),
    logger: o.logger ?? createCloudLogger(),
    timer,
    random: o.random ?? Math.random,
    retry: { ...defaultRetryPolicy, ...o.retry },
    pollMs: o.taskPollIntervalMs ?? 500,
    taskTimeoutMs: o.taskTimeoutMs ?? 120_000,
    tagKeys: { ...defaultTagKeys, ...o.tagKeys },
    clusterId: o.clusterId,
    ...(o.mayMutate ? { mayMutate: o.mayMutate } : {}),
  };
  return new TencentVpcApi(shared, o.priority ?? 'refill');
};

export class TencentVpcApi implements VpcApi {
  private readonly c: CloudCaller;
  private readonly s: Shared;

  /** Use `createTencentVpcApi`. */
  constructor(shared: Shared, priority: Priority) {
    this.s = shared;
    this.c = new CloudCaller(shared, priority);
  }

  get priority(): Priority {
    return this.c.priority;
  }

  /** The same adapter (same budget, same client) with calls queued at `priority`. */
  withPriority(priority: Priority): TencentVpcApi {
    return new TencentVpcApi(this.s, priority);
  }

  /** Polls one ENI until `done` holds (or it is gone: undefined). */
  private async waitEni(eniId: string, done: (e: Eni | undefined) => boolean): Promise<Eni | undefined> {
    const deadline = this.s.timer.now() + this.s.taskTimeoutMs;
    for (;;) {
      const [eni] = await this.describeEnis({ eniIds: [eniId] });
      if (done(eni)) return eni;
      if (this.s.timer.now() >= deadline)
        throw new IpamError('CloudAmbiguous', `${eniId} did not settle within ${this.s.taskTimeoutMs} ms`, { eniId });
      await this.s.timer.sleep(this.s.pollMs);
    }
  }

  /**
   * The ENI created for an intent, found by its tags (cluster id and intent id), if any. Used to
   * resolve an ambiguous create, and by ipamd's crash recovery.
   */
  async findEniByIntent(intentId: string): Promise<Eni | undefined> {
    const enis = await this.describeEnis({
      tags: [
        { key: this.s.tagKeys.cluster, value: this.s.clusterId },
        { key: this.s.tagKeys.intent, value: intentId },
      ],
    });
    return enis[0];
  }

  async createEni(req: CreateEniRequest): Promise<Eni> {
    const r = check(schemas.createEni, req, 'createEni');
    const { cluster, intent } = this.s.tagKeys;
    const intentId = r.tags.find((t) => t.key === intent)?.value ?? r.clientToken;
    const tags: Tag[] = [
      ...r.tags.filter((t) => t.key !== cluster && t.key !== intent),
      { key: cluster, value: this.s.clusterId },
      { key: intent, value: intentId },
    ];
    let ambiguous = false;
    const created = await this.c.retrying('CreateNetworkInterface', async () => {
      if (ambiguous) {
        const found = await this.findEniByIntent(intentId);
        if (found) return { eni: found, taskId: undefined };
      }
      try {
        const res = await this.c.send('CreateNetworkInterface', (c) =>
          c.CreateNetworkInterface({
            VpcId: r.vpcId,
            SubnetId: r.subnetId,
            NetworkInterfaceName: r.name,
            ClientToken: r.clientToken,
            Tags: tags.map((t) => ({ Key: t.key, Value: t.value })),
            ...(r.securityGroupIds?.length ? { SecurityGroupIds: r.securityGroupIds } : {}),
            ...(r.primaryIp ? { PrivateIpAddresses: [{ PrivateIpAddress: r.primaryIp, Primary: true }] } : {}),
          }),
        );
        if (!res.NetworkInterface)
          throw new IpamError('CloudPermanent', 'CreateNetworkInterface: no NetworkInterface in the response');
        return { eni: toEni(res.NetworkInterface), taskId: res.RequestId };
      } catch (e) {
        if (isIpamError(e, 'CloudAmbiguous')) ambiguous = true;
        throw e;
      }
    });
    if (created.taskId) await this.c.waitTask('CreateNetworkInterface', created.taskId);
    if (created.eni.state === 'AVAILABLE') return created.eni;
    const settled = await this.waitEni(created.eni.eniId, (e) => e === undefined || e.state !== 'PENDING');
    if (!settled)
      throw new IpamError('CloudPermanent', `${created.eni.eniId} vanished while being created`, {
        eniId: created.eni.eniId,
      });
    return settled;
  }

  async attachEni(req: AttachEniRequest): Promise<void> {
    const r = check(schemas.attachDetach, req, 'attachEni');
    await this.attachOrDetach('AttachNetworkInterface', r, (e) => e?.instanceId === r.instanceId);
  }

  async detachEni(req: DetachEniRequest): Promise<void> {
    const r = check(schemas.attachDetach, req, 'detachEni');
    await this.attachOrDetach('DetachNetworkInterface', r, (e) => e !== undefined && e.instanceId === undefined);
  }

  /**
   * Attach and detach re-send with their ClientToken after an ambiguous try. Should the cloud
   * have forgotten the token by then, the repeat meets a state error; the ENI then says whether
   * the first try took effect (`applied`), in which case the call succeeds once the ENI settles.
   */
  private async attachOrDetach(
    action: 'AttachNetworkInterface' | 'DetachNetworkInterface',
    r: { eniId: string; instanceId: string; clientToken: string },
    applied: (eni: Eni | undefined) => boolean,
  ): Promise<void> {
    let ambiguous = false;
    const params = { NetworkInterfaceId: r.eniId, InstanceId: r.instanceId, ClientToken: r.clientToken };
    const taskId = await this.c.retrying(action, async () => {
      try {
        const res = await this.c.send(action, (c) =>
          action === 'AttachNetworkInterface' ? c.AttachNetworkInterface(params) : c.DetachNetworkInterface(params),
        );
        return res.RequestId ?? '';
      } catch (e) {
        if (isIpamError(e, 'CloudAmbiguous')) ambiguous = true;
        if (!ambiguous || !isIpamError(e, 'CloudInvalidState')) throw e;
        const [eni] = await this.describeEnis({ eniIds: [r.eniId] });
        const busy = eni?.state === 'ATTACHING' || eni?.state === 'DETACHING';
        if (!busy && !applied(eni)) throw e;
        const settled = await this.waitEni(r.eniId, (x) => x?.state !== 'ATTACHING' && x?.state !== 'DETACHING');
        if (!applied(settled)) throw e;
        return undefined;
      }
    });
    if (taskId !== undefined) await this.c.waitTask(action, taskId);
  }

  /** DeleteNetworkInterface takes no ClientToken: after an ambiguous try, the ENI is looked at first. */
  async deleteEni(req: DeleteEniRequest): Promise<void> {
    const r = check(schemas.deleteEni, req, 'deleteEni');
    let ambiguous = false;
    const taskId = await this.c.retrying('DeleteNetworkInterface', async () => {
      if (ambiguous) {
        const [eni] = await this.describeEnis({ eniIds: [r.eniId] });
        if (!eni) return undefined;
        if (eni.state === 'DELETING') {
          await this.waitEni(r.eniId, (e) => e === undefined || e.state !== 'DELETING');
          return undefined;
        }
      }
      try {
        const res = await this.c.send('DeleteNetworkInterface', (c) =>
          c.DeleteNetworkInterface({ NetworkInterfaceId: r.eniId }),
        );
        return res.RequestId;
      } catch (e) {
        if (isIpamError(e, 'CloudAmbiguous')) ambiguous = true;
        if (ambiguous && vendorCode(e) === 'ResourceNotFound') return undefined;
        throw e;
      }
    });
    if (taskId) await this.c.waitTask('DeleteNetworkInterface', taskId);
  }

  /**
   * Binds in batches of 10 (each with its own derived ClientToken, `<token>.<n>`, so a repeat
   * replays every batch). If a later batch fails, the error's `details.boundIps` lists the
   * addresses the earlier batches bound.
   */
  async assignIps(req: AssignIpsRequest): Promise<readonly Ipv4[]> {
    const r =
      req.ips !== undefined
        ? check(schemas.assignIpsByAddress, req, 'assignIps')
        : check(schemas.assignIpsByCount, req, 'assignIps');
    const batches: Array<{ ips?: string[]; count?: number }> =
      r.ips !== undefined
        ? chunks(r.ips, 10).map((ips) => ({ ips }))
        : chunks(
            Array.from({ length: r.count }, () => 1),
            10,
          ).map((b) => ({ count: b.length }));
    const out: Ipv4[] = [];
    for (const [i, b] of batches.entries()) {
      const token = batches.length === 1 ? r.clientToken : `${r.clientToken}.${i}`;
      try {
        const res = await this.c.retrying('AssignPrivateIpAddresses', () =>
          this.c.send('AssignPrivateIpAddresses', (c) =>
            c.AssignPrivateIpAddresses({
              NetworkInterfaceId: r.eniId,
              ClientToken: token,
              ...(b.ips
                ? { PrivateIpAddresses: b.ips.map((ip) => ({ PrivateIpAddress: ip })) }
                : { SecondaryPrivateIpAddressCount: b.count ?? 0 }),
            }),
          ),
        );
        await this.c.waitTask('AssignPrivateIpAddresses', res.RequestId);
        out.push(...(res.PrivateIpAddressSet ?? []).map((s) => s.PrivateIpAddress ?? ''));
      } catch (e) {
        if (out.length === 0 || !isIpamError(e)) throw e;
        // Earlier batches are bound: say which, so the caller records them rather than leaking them.
        throw new IpamError(
          e.code,
          `${e.message} (after ${out.length} addresses were bound)`,
          { ...e.details, boundIps: out },
          { cause: e },
        );
      }
    }
    return out;
  }

  /** UnassignPrivateIpAddresses takes no ClientToken: after an ambiguous try, only what is still bound is sent. */
  async unassignIps(req: UnassignIpsRequest): Promise<void> {
    const r = check(schemas.unassignIps, req, 'unassignIps');
    for (const batch of chunks(r.ips, 10)) {
      let ambiguous = false;
      await this.c.retrying('UnassignPrivateIpAddresses', async () => {
        let ips = batch;
        if (ambiguous) {
          const [eni] = await this.describeEnis({ eniIds: [r.eniId] });
          ips = batch.filter((ip) => eni?.secondaryIps.includes(ip));
          if (ips.length === 0) return;
        }
        try {
          const res = await this.c.send('UnassignPrivateIpAddresses', (c) =>
            c.UnassignPrivateIpAddresses({
              NetworkInterfaceId: r.eniId,
              PrivateIpAddresses: ips.map((ip) => ({ PrivateIpAddress: ip })),
            }),
          );
          await this.c.waitTask('UnassignPrivateIpAddresses', res.RequestId);
        } catch (e) {
          if (isIpamError(e, 'CloudAmbiguous')) ambiguous = true;
          throw e;
        }
      });
    }
  }

  async describeEnis(filter: DescribeEnisFilter): Promise<readonly Eni[]> {
    const f = check(schemas.describeEnis, filter, 'describeEnis');
    const filters: Filter[] = [];
    if (f.vpcId) filters.push({ Name: 'vpc-id', Values: [f.vpcId] });
    if (f.subnetId) filters.push({ Name: 'subnet-id', Values: [f.subnetId] });
    if (f.instanceId) filters.push({ Name: 'attachment.instance-id', Values: [f.instanceId] });
    for (const t of f.tags ?? []) filters.push({ Name: `tag:${t.key}`, Values: [t.value] });
    if (f.eniIds?.length === 0) return [];
    const idChunks = f.eniIds ? chunks(f.eniIds, 100) : [undefined];
    const out: Eni[] = [];
    for (const ids of idChunks) {
      // Ids and filters cannot go together: with filters, the ids become one more filter.
      const base =
        ids && filters.length > 0
          ? { Filters: [...filters, { Name: 'network-interface-id', Values: ids }] }
          : ids
            ? { NetworkInterfaceIds: ids }
            : filters.length > 0
              ? { Filters: filters }
              : {};
      for (let offset = 0; ; ) {
        const page = await this.c.retrying('DescribeNetworkInterfaces', () =>
          this.c.send('DescribeNetworkInterfaces', (c) =>
            c.DescribeNetworkInterfaces({ ...base, Offset: offset, Limit: 100 }),
          ),
        );
        const set = page.NetworkInterfaceSet ?? [];
        out.push(...set.map(toEni));
        offset += set.length;
        if (set.length === 0 || offset >= (page.TotalCount ?? 0)) break;
      }
    }
    return out;
  }

  async describeSubnets(subnetIds: readonly string[]): Promise<readonly Subnet[]> {
    const ids = check(schemas.subnetIds, subnetIds, 'describeSubnets');
    const out: Subnet[] = [];
    for (const chunk of chunks(ids, 100)) {
      for (let offset = 0; ; ) {
        const page = await this.c.retrying('DescribeSubnets', () =>
          this.c.send('DescribeSubnets', (c) =>
            c.DescribeSubnets({ SubnetIds: chunk, Offset: String(offset), Limit: '100' }),
          ),
        );
        const set = page.SubnetSet ?? [];
        out.push(...set.map(toSubnet));
        offset += set.length;
        if (set.length === 0 || offset >= (page.TotalCount ?? 0)) break;
      }
    }
    return out;
  }

  async describeInstanceLimits(instanceId: string): Promise<InstanceEniLimits> {
    const id = check(schemas.instanceOrEni, instanceId, 'describeInstanceLimits');
    const r = await this.c.retrying('DescribeNetworkInterfaceLimit', () =>
      this.c.send('DescribeNetworkInterfaceLimit', (c) => c.DescribeNetworkInterfaceLimit({ InstanceId: id })),
    );
    return { maxEnis: r.EniQuantity ?? 0, ipsPerEni: r.EniPrivateIpAddressQuantity ?? 0 };
  }
}
