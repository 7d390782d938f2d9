/**
 * The simulated VPC's behaviour: each method is one API action applied to a `SimState`, with the
 * error codes Tencent Cloud documents for it. Asynchronous actions start a task that settles
 * (lazily, on the next call) once its configured duration has passed.
 */
import { intToIp, ipToInt, isReserved, parseCidr, usableCount } from './ipv4.js';
import { fail } from './sim-error.js';
import type { SimEni, SimState, SimTag, SimTask, TaskAction } from './state.js';

/** How long each asynchronous action runs before its task reports SUCCESS or FAILED (ms). */
export type TaskDurations = Record<TaskAction, number>;

export const defaultTaskDurations: TaskDurations = {
  CreateNetworkInterface: 0,
  AttachNetworkInterface: 300,
  DetachNetworkInterface: 300,
  DeleteNetworkInterface: 0,
  AssignPrivateIpAddresses: 0,
  UnassignPrivateIpAddresses: 0,
};

export interface ModelContext {
  now: number;
  /** The call's RequestId; asynchronous actions use it as the task id (as Tencent does). */
  requestId: string;
  durations: TaskDurations;
  /** Whether this call's task should end FAILED (fault injection). */
  taskFails: boolean;
  newEniId: () => string;
}

const MAX_IPS_PER_CALL = 10;

export class VpcModel {
  /** Tasks still RUNNING: settling looks at these only. */
  private readonly running = new Set<string>();
  private lastPrune = 0;
  /** Bumped on every change of state: the server persists when it moves. */
  changes = 0;

  /**
   * @param taskRetentionMs how long settled tasks, and the ClientToken records that point at
   *   them, are kept (so a long run's state stays small); default one hour.
   */
  constructor(
    readonly state: SimState,
    private readonly taskRetentionMs = 3_600_000,
  ) {
    for (const t of Object.values(state.tasks)) if (t.status === 'RUNNING') this.running.add(t.taskId);
  }

  /** Settles every task whose time has come (called before each action); true if anything changed. */
  settle(now: number): boolean {
    let changed = false;
    for (const id of this.running) {
      const task = this.state.tasks[id];
      if (task && task.doneAt > now) continue;
      this.running.delete(id);
      if (!task) continue;
      this.finish(task);
      changed = true;
    }
    if (now - this.lastPrune >= 60_000) {
      this.lastPrune = now;
      changed = this.prune(now - this.taskRetentionMs) || changed;
    }
    return changed;
  }

  /** Forgets settled tasks older than `before`, their aliases and their ClientToken records. */
  private prune(before: number): boolean {
    const gone = new Set<string>();
    for (const t of Object.values(this.state.tasks))
      if (t.status !== 'RUNNING' && t.doneAt < before) {
        gone.add(t.taskId);
        delete this.state.tasks[t.taskId];
      }
    if (gone.size === 0) return false;
    this.changes++;
    for (const [alias, id] of Object.entries(this.state.taskAliases))
      if (gone.has(id)) delete this.state.taskAliases[alias];
    for (const [key, rec] of Object.entries(this.state.idempotency))
      if (gone.has(rec.taskId)) delete this.state.idempotency[key];
    return true;
  }

  private finish(task: SimTask): void {
    this.changes++;
    task.status = task.willFail ? 'FAILED' : 'SUCCESS';
    const eni = this.state.enis[task.resourceId];
    if (!eni) return;
    if (eni.runningTask === task.taskId) delete eni.runningTask;
    const ok = !task.willFail;
    switch (task.action) {
      case 'CreateNetworkInterface':
        if (ok) eni.state = 'AVAILABLE';
        else delete this.state.enis[eni.eniId];
        break;
      case 'AttachNetworkInterface':
        eni.state = 'AVAILABLE';
        if (ok) eni.deviceIndex = this.freeDeviceIndex(eni.instanceId ?? '', eni.eniId);
        else delete eni.instanceId;
        break;
      case 'DetachNetworkInterface':
        eni.state = 'AVAILABLE';
        if (ok) {
          delete eni.instanceId;
          delete eni.deviceIndex;
        }
        break;
      case 'DeleteNetworkInterface':
        if (ok) delete this.state.enis[eni.eniId];
        else eni.state = 'AVAILABLE';
        break;
      case 'AssignPrivateIpAddresses':
        if (!ok) eni.secondaryIps = eni.secondaryIps.filter((ip) => !task.ips?.includes(ip));
        break;
      case 'UnassignPrivateIpAddresses':
        if (ok) eni.secondaryIps = eni.secondaryIps.filter((ip) => !task.ips?.includes(ip));
        break;
    }
  }

  private startTask(ctx: ModelContext, action: TaskAction, eni: SimEni, ips?: string[]): SimTask {
    const task: SimTask = {
      taskId: ctx.requestId,
      action,
      resourceId: eni.eniId,
      status: 'RUNNING',
      doneAt: ctx.now + ctx.durations[action],
      willFail: ctx.taskFails,
      ...(ips ? { ips } : {}),
    };
    this.state.tasks[task.taskId] = task;
    this.changes++;
    eni.runningTask = task.taskId;
    if (task.doneAt <= ctx.now) this.finish(task);
    else this.running.add(task.taskId);
    return task;
  }

  task(taskId: string): SimTask {
    const id = this.state.taskAliases[taskId] ?? taskId;
    return this.state.tasks[id] ?? fail('ResourceNotFound', `The task \`${taskId}\` does not exist.`);
  }

  eni(eniId: string): SimEni {
    return this.state.enis[eniId] ?? fail('ResourceNotFound', `The network interface \`${eniId}\` does not exist.`);
  }

  private instance(instanceId: string) {
    const ins =
      this.state.instances[instanceId] ?? fail('ResourceNotFound', `The instance \`${instanceId}\` does not exist.`);
    const type = this.state.instanceTypes[ins.instanceType];
    if (!type) return fail('InternalError', `instance type ${ins.instanceType} unknown`);
    return { ...ins, ...type };
  }

  /** Every address in use in a subnet (ENI primaries and secondaries). */
  usedIps(subnetId: string): Set<number> {
    const used = new Set<number>();
    for (const e of Object.values(this.state.enis)) {
      if (e.subnetId !== subnetId) continue;
      for (const ip of [e.primaryIp, ...e.secondaryIps]) used.add(ipToInt(ip) ?? -1);
    }
    return used;
  }

  availableCount(subnetId: string): number {
    const c = parseCidr(this.state.subnets[subnetId]?.cidr ?? '');
    return c ? usableCount(c) - this.usedIps(subnetId).size : 0;
  }

  /** Picks `count` lowest free addresses, or checks and takes exactly `wanted`. */
  private takeIps(subnetId: string, count: number, wanted: readonly string[]): string[] {
    const sn = this.state.subnets[subnetId];
    const c = sn ? parseCidr(sn.cidr) : undefined;
    if (!c) return fail('ResourceNotFound', `The subnet \`${subnetId}\` does not exist.`);
    const used = this.usedIps(subnetId);
    if (new Set(wanted).size !== wanted.length)
      fail('InvalidParameterValue.DuplicatePara', 'PrivateIpAddresses has duplicates.');
    for (const ip of wanted) {
      const n = ipToInt(ip) ?? fail('InvalidParameterValue.Malformed', `\`${ip}\` is not an IPv4 address.`);
      if (n < c.base || n >= c.base + c.size) fail('InvalidParameterValue.Range', `\`${ip}\` is outside ${sn?.cidr}.`);
      if (isReserved(c, n)) fail('InvalidParameterValue.Reserved', `\`${ip}\` is reserved in ${sn?.cidr}.`);
      if (used.has(n)) fail('ResourceInUse', `The private IP \`${ip}\` is already in use.`);
    }
    const out = [...wanted];
    for (let n = c.base + 2; out.length < wanted.length + count && n < c.base + c.size - 1; n++)
      if (!used.has(n)) out.push(intToIp(n));
    if (out.length < wanted.length + count)
      fail('ResourceInsufficient.Subnet', `The subnet \`${subnetId}\` has not enough free IP addresses.`);
    return out;
  }

  private ipQuota(eni: SimEni): number {
    if (!eni.instanceId) return this.state.unattachedIpsPerEni;
    return this.instance(eni.instanceId).ipsPerEni;
  }

  private freeDeviceIndex(instanceId: string, self: string): number {
    const used = new Set(
      Object.values(this.state.enis)
        .filter((e) => e.instanceId === instanceId && e.eniId !== self)
        .map((e) => e.deviceIndex),
    );
    let i = 1; // 0 is the instance's primary ENI
    while (used.has(i)) i++;
    return i;
  }

  createEni(
    ctx: ModelContext,
    p: {
      VpcId: string;
      SubnetId: string;
      NetworkInterfaceName: string;
      NetworkInterfaceDescription?: string;
      SecondaryPrivateIpAddressCount?: number;
      PrivateIpAddresses?: { PrivateIpAddress: string; Primary?: boolean }[];
      SecurityGroupIds?: string[];
      Tags?: SimTag[];
    },
  ): SimEni {
    if (p.VpcId !== this.state.vpc.vpcId) fail('ResourceNotFound', `The VPC \`${p.VpcId}\` does not exist.`);
    const sn =
      this.state.subnets[p.SubnetId] ?? fail('ResourceNotFound', `The subnet \`${p.SubnetId}\` does not exist.`);
    const specs = p.PrivateIpAddresses ?? [];
    const count = p.SecondaryPrivateIpAddressCount ?? 0;
    if (specs.length > MAX_IPS_PER_CALL || count > MAX_IPS_PER_CALL)
      fail('InvalidParameterValue.LimitExceeded', `At most ${MAX_IPS_PER_CALL} addresses per call.`);
    if (1 + count + specs.filter((s) => !s.Primary).length > this.state.unattachedIpsPerEni)
      fail('LimitExceeded', 'The ENI private IP quota is exceeded.');
    const wantedPrimary = specs.find((s) => s.Primary)?.PrivateIpAddress;
    const wanted = specs.filter((s) => !s.Primary).map((s) => s.PrivateIpAddress);
    const ips = this.takeIps(
      sn.subnetId,
      (wantedPrimary ? 0 : 1) + count,
      wantedPrimary ? [wantedPrimary, ...wanted] : wanted,
    );
    const [primaryIp = '', ...secondaryIps] = wantedPrimary
      ? ips
      : [ips[wanted.length] ?? '', ...ips.filter((_, i) => i !== wanted.length)];
    const seq = ++this.state.seq;
    const eni: SimEni = {
      eniId: ctx.newEniId(),
      name: p.NetworkInterfaceName,
      description: p.NetworkInterfaceDescription ?? '',
      vpcId: p.VpcId,
      subnetId: sn.subnetId,
      zone: sn.zone,
      mac: `20:90:6F:${[seq >>> 16, (seq >>> 8) & 255, seq & 255].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`,
      state: 'PENDING',
      primaryIp,
      secondaryIps,
      tags: p.Tags ?? [],
      securityGroupIds: p.SecurityGroupIds ?? [],
      createdAt: new Date(ctx.now).toISOString(),
    };
    this.state.enis[eni.eniId] = eni;
    this.startTask(ctx, 'CreateNetworkInterface', eni);
    return eni;
  }

  attachEni(ctx: ModelContext, p: { NetworkInterfaceId: string; InstanceId: string }): void {
    const eni = this.eni(p.NetworkInterfaceId);
    const ins = this.instance(p.InstanceId);
    if (eni.instanceId === p.InstanceId && eni.state === 'AVAILABLE')
      fail(
        'UnsupportedOperation.AttachmentAlreadyExists',
        `\`${eni.eniId}\` is already attached to \`${p.InstanceId}\`.`,
      );
    if (eni.state !== 'AVAILABLE' || eni.instanceId)
      fail(
        'UnsupportedOperation.InvalidState',
        `\`${eni.eniId}\` is ${eni.state}${eni.instanceId ? ` on ${eni.instanceId}` : ''}.`,
      );
    if (ins.zone !== eni.zone)
      fail('UnsupportedOperation.ZoneMismatch', `\`${eni.eniId}\` is in ${eni.zone}, the instance in ${ins.zone}.`);
    const onInstance = Object.values(this.state.enis).filter((e) => e.instanceId === p.InstanceId).length;
    if (onInstance + 1 >= ins.maxEnis)
      fail('LimitExceeded', `\`${p.InstanceId}\` has reached its ENI quota (${ins.maxEnis}).`);
    if (1 + eni.secondaryIps.length > ins.ipsPerEni)
      fail('LimitExceeded', `\`${eni.eniId}\` holds more IPs than ${ins.instanceType} allows per ENI.`);
    eni.state = 'ATTACHING';
    eni.instanceId = p.InstanceId;
    this.startTask(ctx, 'AttachNetworkInterface', eni);
  }

  detachEni(ctx: ModelContext, p: { NetworkInterfaceId: string; InstanceId: string }): void {
    const eni = this.eni(p.NetworkInterfaceId);
    this.instance(p.InstanceId);
    if (eni.state !== 'AVAILABLE') fail('UnsupportedOperation.InvalidState', `\`${eni.eniId}\` is ${eni.state}.`);
    if (eni.instanceId !== p.InstanceId)
      fail('UnsupportedOperation.AttachmentNotFound', `\`${eni.eniId}\` is not attached to \`${p.InstanceId}\`.`);
    eni.state = 'DETACHING';
    this.startTask(ctx, 'DetachNetworkInterface', eni);
  }

  deleteEni(ctx: ModelContext, p: { NetworkInterfaceId: string }): void {
    const eni = this.eni(p.NetworkInterfaceId);
    if (eni.state !== 'AVAILABLE') fail('UnsupportedOperation.InvalidState', `\`${eni.eniId}\` is ${eni.state}.`);
    if (eni.instanceId) fail('ResourceInUse', `\`${eni.eniId}\` is attached to \`${eni.instanceId}\`.`);
    eni.state = 'DELETING';
    this.startTask(ctx, 'DeleteNetworkInterface', eni);
  }

  private requireIdle(eni: SimEni): void {
    if (eni.runningTask)
      fail('UnsupportedOperation.MutexOperationTaskRunning', `A task is running on \`${eni.eniId}\`; retry later.`);
    if (eni.state !== 'AVAILABLE') fail('UnsupportedOperation.InvalidState', `\`${eni.eniId}\` is ${eni.state}.`);
  }

  assignIps(
    ctx: ModelContext,
    p: {
      NetworkInterfaceId: string;
      PrivateIpAddresses?: { PrivateIpAddress: string }[];
      SecondaryPrivateIpAddressCount?: number;
    },
  ): string[] {
    const eni = this.eni(p.NetworkInterfaceId);
    this.requireIdle(eni);
    const wanted = (p.PrivateIpAddresses ?? []).map((s) => s.PrivateIpAddress);
    const count = p.SecondaryPrivateIpAddressCount ?? 0;
    if (wanted.length === 0 && count === 0)
      fail('MissingParameter', 'One of PrivateIpAddresses or SecondaryPrivateIpAddressCount is required.');
    if (wanted.length > MAX_IPS_PER_CALL || count > MAX_IPS_PER_CALL)
      fail('InvalidParameterValue.LimitExceeded', `At most ${MAX_IPS_PER_CALL} addresses per call.`);
    const quota = this.ipQuota(eni);
    if (1 + eni.secondaryIps.length + wanted.length + count > quota)
      fail('LimitExceeded', `\`${eni.eniId}\` would exceed its private IP quota (${quota}).`);
    const ips = this.takeIps(eni.subnetId, count, wanted);
    eni.secondaryIps.push(...ips);
    this.startTask(ctx, 'AssignPrivateIpAddresses', eni, ips);
    return ips;
  }

  unassignIps(
    ctx: ModelContext,
    p: { NetworkInterfaceId: string; PrivateIpAddresses: { PrivateIpAddress: string }[] },
  ): void {
    const eni = this.eni(p.NetworkInterfaceId);
    this.requireIdle(eni);
    const ips = p.PrivateIpAddresses.map((s) => s.PrivateIpAddress);
    if (ips.length > MAX_IPS_PER_CALL)
      fail('InvalidParameterValue.LimitExceeded', `At most ${MAX_IPS_PER_CALL} addresses per call.`);
    if (new Set(ips).size !== ips.length)
      fail('InvalidParameterValue.DuplicatePara', 'PrivateIpAddresses has duplicates.');
    for (const ip of ips) {
      if (ip === eni.primaryIp)
        fail('UnsupportedOperation.InvalidState', `\`${ip}\` is the primary IP of \`${eni.eniId}\`.`);
      if (!eni.secondaryIps.includes(ip)) fail('ResourceNotFound', `\`${ip}\` is not bound to \`${eni.eniId}\`.`);
    }
    this.startTask(ctx, 'UnassignPrivateIpAddresses', eni, ips);
  }

  limits(instanceId: string): { maxEnis: number; ipsPerEni: number } {
    if (instanceId.startsWith('eni-')) {
      const eni = this.eni(instanceId);
      return eni.instanceId ? this.instance(eni.instanceId) : { maxEnis: 1, ipsPerEni: this.state.unattachedIpsPerEni };
    }
    return this.instance(instanceId);
  }
}
