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
import type { Logger } from 'pino';
import type { Filter } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';
import { chunks, toEni, toSubnet } from './convert.js';
import type { CloudCredentials } from './credentials.js';
import { createCloudLogger } from './logger.js';
import { mapCloudError } from './map-error.js';
import { type BucketConfig, type Priority, RateBudget, realTimer, type Timer } from './rate-budget.js';
import { defaultRetryPolicy, type RetryPolicy, withRetry } from './retry.js';
import { createVpcSdkClient, type VpcSdkClient } from './sdk-client.js';
import { check, schemas } from './validate.js';

export type VpcAction =
  | 'CreateNetworkInterface'
  | 'AttachNetworkInterface'
  | 'DetachNetworkInterface'
  | 'DeleteNetworkInterface'
  | 'AssignPrivateIpAddresses'
  | 'UnassignPrivateIpAddresses'
  | 'DescribeNetworkInterfaces'
  | 'DescribeSubnets'
  | 'DescribeNetworkInterfaceLimit'
  | 'DescribeVpcTaskResult';

/**
 * Below the documented limits (20 requests/s for most VPC actions, 100/s for
 * AssignPrivateIpAddresses), so other tools on the same account keep some room.
 */
export const defaultRateLimits: Readonly<Record<VpcAction, BucketConfig>> = {
  CreateNetworkInterface: { ratePerSecond: 15, burst: 15 },
  AttachNetworkInterface: { ratePerSecond: 15, burst: 15 },
  DetachNetworkInterface: { ratePerSecond: 15, burst: 15 },
  DeleteNetworkInterface: { ratePerSecond: 15, burst: 15 },
  AssignPrivateIpAddresses: { ratePerSecond: 80, burst: 80 },
  UnassignPrivateIpAddresses: { ratePerSecond: 15, burst: 15 },
  DescribeNetworkInterfaces: { ratePerSecond: 15, burst: 15 },
  DescribeSubnets: { ratePerSecond: 15, burst: 15 },
  DescribeNetworkInterfaceLimit: { ratePerSecond: 15, burst: 15 },
  DescribeVpcTaskResult: { ratePerSecond: 15, burst: 15 },
};

/** Tag keys put on every ENI the adapter creates. */
export interface EniTagKeys {
  cluster: string;
  intent: string;
}

export const defaultTagKeys: EniTagKeys = { cluster: 'eni-ipam/cluster', intent: 'eni-ipam/intent' };

export interface TencentVpcApiOptions {
  region: string;
  credentials: CloudCredentials;
  /** Tagged on every ENI created, with the intent id, so leaks and ambiguous creates can be found. */
  clusterId: string;
  /** Default `vpc.tencentcloudapi.com`. */
  endpoint?: string;
  /** Send every request to this host:port over HTTP, keeping the endpoint's Host and signature (the simulator). */
  connectTo?: { host: string; port: number };
  /** Per request, default 10 s. A timeout is an ambiguous outcome. */
  requestTimeoutMs?: number;
  rateLimits?: Partial<Record<VpcAction, BucketConfig>>;
  /**
   * The budget to draw from. One per process: give the same one to every adapter built in the
   * process (or build one adapter and use `withPriority`). Default: a new one from `rateLimits`.
   */
  budget?: RateBudget;
  retry?: Partial<RetryPolicy>;
  /** Default 500 ms. */
  taskPollIntervalMs?: number;
  /** Default 120 s; a task still RUNNING after it is an ambiguous outcome. */
  taskTimeoutMs?: number;
  tagKeys?: Partial<EniTagKeys>;
  logger?: Logger;
  timer?: Timer;
  random?: () => number;
  /** Priority of calls made through the returned instance; default `refill`. */
  priority?: Priority;
}

interface Shared {
  client: VpcSdkClient;
  budget: RateBudget;
  logger: Logger;
  timer: Timer;
  random: () => number;
  retry: RetryPolicy;
  pollMs: number;
  taskTimeoutMs: number;
  tagKeys: EniTagKeys;
  clusterId: string;
}

const retryOrAmbiguous = (e: unknown) => isIpamError(e, 'CloudRetryable') || isIpamError(e, 'CloudAmbiguous');
const vendorCode = (e: unknown) => (isIpamError(e) ? String(e.details.vendorCode ?? '') : '');

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
  };
  return new TencentVpcApi(shared, o.priority ?? 'refill');
};

export class TencentVpcApi implements VpcApi {
  /** Use `createTencentVpcApi`. */
  constructor(
    private readonly s: Shared,
    readonly priority: Priority,
  ) {}

  /** The same adapter (same budget, same client) with calls queued at `priority`. */
  withPriority(priority: Priority): TencentVpcApi {
    return new TencentVpcApi(this.s, priority);
  }

  /** One SDK call through the budget; every failure comes out as an `IpamError`. */
  private async send<T>(action: VpcAction, call: (c: VpcSdkClient) => Promise<T>): Promise<T> {
    await this.s.budget.acquire(action, this.priority);
    const started = this.s.timer.now();
    try {
      const r = await call(this.s.client);
      this.s.logger.debug({ action, ms: this.s.timer.now() - started }, 'cloud call');
      return r;
    } catch (e) {
      const err = mapCloudError(e, action);
      this.s.logger.debug(
        { action, code: err.code, details: err.details, ms: this.s.timer.now() - started },
        'cloud call failed',
      );
      throw err;
    }
  }

  private retrying<T>(
    action: VpcAction,
    fn: (attempt: number) => Promise<T>,
    retryable = retryOrAmbiguous,
  ): Promise<T> {
    return withRetry(
      async (attempt) => {
        if (attempt > 0) this.s.logger.info({ action, attempt }, 'cloud call retried');
        return fn(attempt);
      },
      { policy: this.s.retry, retryable, timer: this.s.timer, random: this.s.random },
    );
  }

  /** Waits for an asynchronous action's task; resolves on SUCCESS. */
  private async waitTask(action: VpcAction, taskId: string | undefined): Promise<void> {
    if (!taskId) throw new IpamError('CloudPermanent', `${action}: no RequestId to follow`, { action });
    const deadline = this.s.timer.now() + this.s.taskTimeoutMs;
    for (;;) {
      const r = await this.retrying('DescribeVpcTaskResult', () =>
        this.send('DescribeVpcTaskResult', (c) => c.DescribeVpcTaskResult({ TaskId: taskId })),
      );
      if (r.Status === 'SUCCESS') return;
      if (r.Status === 'FAILED')
        throw new IpamError('CloudPermanent', `${action}: task ${taskId} FAILED: ${r.Output ?? ''}`, {
          action,
          taskId,
          taskStatus: 'FAILED',
        });
      if (this.s.timer.now() >= deadline)
        throw new IpamError(
          'CloudAmbiguous',
          `${action}: task ${taskId} still ${r.Status} after ${this.s.taskTimeoutMs} ms`,
          {
            action,
            taskId,
          },
        );
      await this.s.timer.sleep(this.s.pollMs);
    }
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
    const created = await this.retrying('CreateNetworkInterface', async () => {
      if (ambiguous) {
        const found = await this.findEniByIntent(intentId);
        if (found) return { eni: found, taskId: undefined };
      }
      try {
        const res = await this.send('CreateNetworkInterface', (c) =>
          c.CreateNetworkInterface({
            VpcId: r.vpcId,
            SubnetId: r.subnetId,
            NetworkInterfaceName: r.name,
            ClientToken: r.clientToken,
            Tags: tags.map((t) => ({ Key: t.key, Value: t.value })),
            ...(r.securityGroupIds?.length ? { SecurityGroupIds: r.securityGroupIds } : {}),
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
    if (created.taskId) await this.waitTask('CreateNetworkInterface', created.taskId);
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
    const res = await this.retrying('AttachNetworkInterface', () =>
      this.send('AttachNetworkInterface', (c) =>
        c.AttachNetworkInterface({ NetworkInterfaceId: r.eniId, InstanceId: r.instanceId, ClientToken: r.clientToken }),
      ),
    );
    await this.waitTask('AttachNetworkInterface', res.RequestId);
  }

  async detachEni(req: DetachEniRequest): Promise<void> {
    const r = check(schemas.attachDetach, req, 'detachEni');
    const res = await this.retrying('DetachNetworkInterface', () =>
      this.send('DetachNetworkInterface', (c) =>
        c.DetachNetworkInterface({ NetworkInterfaceId: r.eniId, InstanceId: r.instanceId, ClientToken: r.clientToken }),
      ),
    );
    await this.waitTask('DetachNetworkInterface', res.RequestId);
  }

  /** DeleteNetworkInterface takes no ClientToken: after an ambiguous try, the ENI is looked at first. */
  async deleteEni(req: DeleteEniRequest): Promise<void> {
    const r = check(schemas.deleteEni, req, 'deleteEni');
    let ambiguous = false;
    const taskId = await this.retrying('DeleteNetworkInterface', async () => {
      if (ambiguous) {
        const [eni] = await this.describeEnis({ eniIds: [r.eniId] });
        if (!eni) return undefined;
        if (eni.state === 'DELETING') {
          await this.waitEni(r.eniId, (e) => e === undefined || e.state !== 'DELETING');
          return undefined;
        }
      }
      try {
        const res = await this.send('DeleteNetworkInterface', (c) =>
          c.DeleteNetworkInterface({ NetworkInterfaceId: r.eniId }),
        );
        return res.RequestId;
      } catch (e) {
        if (isIpamError(e, 'CloudAmbiguous')) ambiguous = true;
        if (ambiguous && vendorCode(e) === 'ResourceNotFound') return undefined;
        throw e;
      }
    });
    if (taskId) await this.waitTask('DeleteNetworkInterface', taskId);
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
        const res = await this.retrying('AssignPrivateIpAddresses', () =>
          this.send('AssignPrivateIpAddresses', (c) =>
            c.AssignPrivateIpAddresses({
              NetworkInterfaceId: r.eniId,
              ClientToken: token,
              ...(b.ips
                ? { PrivateIpAddresses: b.ips.map((ip) => ({ PrivateIpAddress: ip })) }
                : { SecondaryPrivateIpAddressCount: b.count ?? 0 }),
            }),
          ),
        );
        await this.waitTask('AssignPrivateIpAddresses', res.RequestId);
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
      await this.retrying('UnassignPrivateIpAddresses', async () => {
        let ips = batch;
        if (ambiguous) {
          const [eni] = await this.describeEnis({ eniIds: [r.eniId] });
          ips = batch.filter((ip) => eni?.secondaryIps.includes(ip));
          if (ips.length === 0) return;
        }
        try {
          const res = await this.send('UnassignPrivateIpAddresses', (c) =>
            c.UnassignPrivateIpAddresses({
              NetworkInterfaceId: r.eniId,
              PrivateIpAddresses: ips.map((ip) => ({ PrivateIpAddress: ip })),
            }),
          );
          await this.waitTask('UnassignPrivateIpAddresses', res.RequestId);
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
        const page = await this.retrying('DescribeNetworkInterfaces', () =>
          this.send('DescribeNetworkInterfaces', (c) =>
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
        const page = await this.retrying('DescribeSubnets', () =>
          this.send('DescribeSubnets', (c) =>
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
    const r = await this.retrying('DescribeNetworkInterfaceLimit', () =>
      this.send('DescribeNetworkInterfaceLimit', (c) => c.DescribeNetworkInterfaceLimit({ InstanceId: id })),
    );
    return { maxEnis: r.EniQuantity ?? 0, ipsPerEni: r.EniPrivateIpAddressQuantity ?? 0 };
  }
}
