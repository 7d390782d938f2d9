/**
 * One API call against the model: idempotency by ClientToken, the action itself, and the
 * response fields (RequestId is added by the server).
 */
import { parseCidr, usableCount } from './ipv4.js';
import { fail } from './sim-error.js';
import type { SimEni } from './state.js';
import type { ModelContext, VpcModel } from './vpc-model.js';
import { type ActionParams, fingerprint, renderEni, type SimAction } from './wire.js';

type Fields = Record<string, unknown>;

const TOKEN_ACTIONS = new Set<SimAction>([
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'DetachNetworkInterface',
  'AssignPrivateIpAddresses',
]);

/** Runs `action`; a repeat with the same ClientToken and parameters replays the first result. */
export const dispatch = <A extends SimAction>(
  model: VpcModel,
  action: A,
  params: ActionParams<A>,
  ctx: ModelContext,
): Fields => {
  const token = TOKEN_ACTIONS.has(action) ? (params as { ClientToken?: string }).ClientToken : undefined;
  if (token === undefined) return run(model, action, params, ctx);
  const key = `${action}\u0000${token}`;
  const print = fingerprint(params as Fields);
  const seen = model.state.idempotency[key];
  if (seen) {
    if (seen.params !== print)
      fail(
        'UnsupportedOperation.IdempotentParameterMismatch',
        `ClientToken \`${token}\` was used with other parameters.`,
      );
    model.state.taskAliases[ctx.requestId] = seen.taskId;
    model.changes++;
    return seen.response;
  }
  const response = run(model, action, params, ctx);
  model.state.idempotency[key] = { action, params: print, response, taskId: ctx.requestId };
  return response;
};

const run = <A extends SimAction>(model: VpcModel, action: A, params: ActionParams<A>, ctx: ModelContext): Fields => {
  // Each case narrows by hand: TypeScript cannot correlate `action` with `params` through a switch.
  const p = params as never;
  switch (action as SimAction) {
    case 'CreateNetworkInterface':
      return { NetworkInterface: renderEni(model.createEni(ctx, p)) };
    case 'AttachNetworkInterface':
      model.attachEni(ctx, p);
      return {};
    case 'DetachNetworkInterface':
      model.detachEni(ctx, p);
      return {};
    case 'DeleteNetworkInterface':
      model.deleteEni(ctx, p);
      return {};
    case 'AssignPrivateIpAddresses':
      return {
        PrivateIpAddressSet: model.assignIps(ctx, p).map((ip) => ({
          PrivateIpAddress: ip,
          Primary: false,
          State: 'AVAILABLE',
          Description: '',
          IsWanIpBlocked: false,
        })),
      };
    case 'UnassignPrivateIpAddresses':
      model.unassignIps(ctx, p);
      return {};
    case 'DescribeNetworkInterfaces':
      return describeEnis(model, p);
    case 'DescribeSubnets':
      return describeSubnets(model, p);
    case 'DescribeNetworkInterfaceLimit': {
      const l = model.limits((params as ActionParams<'DescribeNetworkInterfaceLimit'>).InstanceId);
      return {
        EniQuantity: l.maxEnis,
        EniPrivateIpAddressQuantity: l.ipsPerEni,
        ExtendEniQuantity: 0,
        ExtendEniPrivateIpAddressQuantity: 0,
        SubEniQuantity: 0,
        SubEniPrivateIpAddressQuantity: 0,
      };
    }
    case 'DescribeVpcTaskResult': {
      const t = model.task((params as ActionParams<'DescribeVpcTaskResult'>).TaskId);
      return {
        Status: t.status,
        Output: t.status === 'FAILED' ? `${t.action} failed on ${t.resourceId}` : '',
        Result: [{ ResourceId: t.resourceId, Status: t.status }],
      };
    }
  }
  return fail('InvalidAction', `The action \`${action}\` is not supported.`);
};

const ENI_FILTERS = new Set([
  'vpc-id',
  'subnet-id',
  'network-interface-id',
  'attachment.instance-id',
  'network-interface-name',
  'address-ip',
  'tag-key',
  'is-primary',
]);

const eniMatches = (e: SimEni, name: string, values: readonly string[]): boolean => {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return e.tags.some((t) => t.Key === key && values.includes(t.Value));
  }
  switch (name) {
    case 'vpc-id':
      return values.includes(e.vpcId);
    case 'subnet-id':
      return values.includes(e.subnetId);
    case 'network-interface-id':
      return values.includes(e.eniId);
    case 'attachment.instance-id':
      return e.instanceId !== undefined && values.includes(e.instanceId);
    case 'network-interface-name':
      return values.includes(e.name);
    case 'address-ip':
      return [e.primaryIp, ...e.secondaryIps].some((ip) => values.includes(ip));
    case 'tag-key':
      return e.tags.some((t) => values.includes(t.Key));
    case 'is-primary':
      return values.includes('false');
    default:
      return fail('InvalidParameter.FilterInvalidKey', `The filter \`${name}\` is not supported.`);
  }
};

const describeEnis = (model: VpcModel, p: ActionParams<'DescribeNetworkInterfaces'>): Fields => {
  if (p.NetworkInterfaceIds && p.Filters)
    fail('InvalidParameterConflict', 'NetworkInterfaceIds and Filters cannot be given together.');
  for (const f of p.Filters ?? [])
    if (!f.Name.startsWith('tag:') && !ENI_FILTERS.has(f.Name))
      fail('InvalidParameter.FilterInvalidKey', `The filter \`${f.Name}\` is not supported.`);
  let list = Object.values(model.state.enis);
  if (p.NetworkInterfaceIds) list = list.filter((e) => p.NetworkInterfaceIds?.includes(e.eniId));
  for (const f of p.Filters ?? []) list = list.filter((e) => eniMatches(e, f.Name, f.Values));
  const offset = p.Offset ?? 0;
  const limit = p.Limit ?? 20;
  return { TotalCount: list.length, NetworkInterfaceSet: list.slice(offset, offset + limit).map(renderEni) };
};

const describeSubnets = (model: VpcModel, p: ActionParams<'DescribeSubnets'>): Fields => {
  if (p.SubnetIds && p.Filters) fail('InvalidParameterConflict', 'SubnetIds and Filters cannot be given together.');
  let list = Object.values(model.state.subnets);
  if (p.SubnetIds) list = list.filter((s) => p.SubnetIds?.includes(s.subnetId));
  for (const f of p.Filters ?? []) {
    const pick = {
      'subnet-id': (s: (typeof list)[number]) => s.subnetId,
      'vpc-id': () => model.state.vpc.vpcId,
      'cidr-block': (s: (typeof list)[number]) => s.cidr,
      zone: (s: (typeof list)[number]) => s.zone,
      'subnet-name': (s: (typeof list)[number]) => s.name,
    }[f.Name];
    if (!pick) fail('InvalidParameter.FilterInvalidKey', `The filter \`${f.Name}\` is not supported.`);
    else list = list.filter((s) => f.Values.includes(pick(s)));
  }
  const offset = Number(p.Offset ?? '0');
  const limit = Math.min(Number(p.Limit ?? '20'), 100);
  return {
    TotalCount: list.length,
    SubnetSet: list.slice(offset, offset + limit).map((s) => ({
      VpcId: model.state.vpc.vpcId,
      SubnetId: s.subnetId,
      SubnetName: s.name,
      CidrBlock: s.cidr,
      IsDefault: false,
      EnableBroadcast: false,
      Zone: s.zone,
      RouteTableId: 'rtb-00000000',
      CreatedTime: s.createdAt,
      AvailableIpAddressCount: model.availableCount(s.subnetId),
      TotalIpAddressCount: usableCount(parseCidr(s.cidr) ?? { base: 0, prefix: 32, size: 3 }),
      NetworkAclId: '',
      IsRemoteVpcSnat: false,
      TagSet: [],
      Ipv6CidrBlock: '',
    })),
  };
};
