/**
 * The simulator's wire formats: request parameter schemas per action (zod), the mapping of
 * validation failures to Tencent error codes, and the response shapes the SDK models declare.
 */
import { z } from 'zod';
import { fail } from './sim-error.js';
import type { SimEni } from './state.js';

const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-z]{8}$`));
export const eniIdSchema = idOf('eni');
const ipSpec = z.object({ PrivateIpAddress: z.string(), Primary: z.boolean().optional() }).loose();
const tag = z.object({ Key: z.string().min(1).max(127), Value: z.string().max(255) }).strict();
const filter = z.object({ Name: z.string().min(1), Values: z.array(z.string()).min(1).max(100) }).strict();
const token = z.string().min(1).max(64);

/** Parameter schemas, and which parameters each action requires (checked first: MissingParameter). */
export const actionSchemas = {
  CreateNetworkInterface: {
    required: ['VpcId', 'NetworkInterfaceName', 'SubnetId'],
    schema: z
      .object({
        VpcId: idOf('vpc'),
        SubnetId: idOf('subnet'),
        NetworkInterfaceName: z.string().min(1).max(60),
        NetworkInterfaceDescription: z.string().max(60).optional(),
        SecondaryPrivateIpAddressCount: z.number().int().min(0).optional(),
        PrivateIpAddresses: z.array(ipSpec).optional(),
        SecurityGroupIds: z.array(idOf('sg')).max(5).optional(),
        Tags: z.array(tag).max(50).optional(),
        QosLevel: z.string().optional(),
        ClientToken: token.optional(),
      })
      .strict(),
  },
  AttachNetworkInterface: {
    required: ['NetworkInterfaceId', 'InstanceId'],
    schema: z
      .object({
        NetworkInterfaceId: eniIdSchema,
        InstanceId: idOf('ins'),
        AttachType: z.number().int().min(0).max(1).optional(),
        ClientToken: token.optional(),
      })
      .strict(),
  },
  DetachNetworkInterface: {
    required: ['NetworkInterfaceId', 'InstanceId'],
    schema: z
      .object({ NetworkInterfaceId: eniIdSchema, InstanceId: idOf('ins'), ClientToken: token.optional() })
      .strict(),
  },
  DeleteNetworkInterface: {
    required: ['NetworkInterfaceId'],
    schema: z.object({ NetworkInterfaceId: eniIdSchema }).strict(),
  },
  AssignPrivateIpAddresses: {
    required: ['NetworkInterfaceId'],
    schema: z
      .object({
        NetworkInterfaceId: eniIdSchema,
        PrivateIpAddresses: z.array(ipSpec).optional(),
        SecondaryPrivateIpAddressCount: z.number().int().min(1).optional(),
        QosLevel: z.string().optional(),
        ClientToken: token.optional(),
      })
      .strict(),
  },
  UnassignPrivateIpAddresses: {
    required: ['NetworkInterfaceId', 'PrivateIpAddresses'],
    schema: z
      .object({
        NetworkInterfaceId: eniIdSchema,
        PrivateIpAddresses: z.array(ipSpec).min(1),
        InstanceId: idOf('ins').optional(),
      })
      .strict(),
  },
  DescribeNetworkInterfaces: {
    required: [],
    schema: z
      .object({
        NetworkInterfaceIds: z.array(eniIdSchema).max(100).optional(),
        Filters: z.array(filter).max(10).optional(),
        Offset: z.number().int().min(0).optional(),
        Limit: z.number().int().min(1).max(100).optional(),
      })
      .strict(),
  },
  DescribeSubnets: {
    required: [],
    schema: z
      .object({
        SubnetIds: z.array(idOf('subnet')).max(100).optional(),
        Filters: z.array(filter).max(10).optional(),
        Offset: z.string().regex(/^\d+$/).optional(),
        Limit: z.string().regex(/^\d+$/).optional(),
      })
      .strict(),
  },
  DescribeNetworkInterfaceLimit: {
    required: ['InstanceId'],
    schema: z.object({ InstanceId: z.string().regex(/^(ins|eni)-[0-9a-z]{8}$/) }).strict(),
  },
  DescribeVpcTaskResult: {
    required: ['TaskId'],
    schema: z.object({ TaskId: z.string().min(1).max(64) }).strict(),
  },
} as const;

export type SimAction = keyof typeof actionSchemas;
export type ActionParams<A extends SimAction> = z.output<(typeof actionSchemas)[A]['schema']>;

export const isSimAction = (a: string): a is SimAction => Object.hasOwn(actionSchemas, a);

/** Validates parameters as Tencent does: missing first, then unknown, then types and values. */
export const parseParams = <A extends SimAction>(action: A, body: unknown): ActionParams<A> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    fail('InvalidParameter', 'The request body must be a JSON object.');
  const spec = actionSchemas[action];
  for (const key of spec.required)
    if ((body as Record<string, unknown>)[key] === undefined)
      fail('MissingParameter', `The request is missing a required parameter \`${key}\`.`);
  const r = spec.schema.safeParse(body);
  if (r.success) return r.data as ActionParams<A>;
  const issue = r.error.issues[0];
  const where = issue?.path.join('.') || '(body)';
  switch (issue?.code) {
    case 'unrecognized_keys':
      return fail('UnknownParameter', `The parameter \`${issue.keys.join(', ')}\` is not recognized.`);
    case 'invalid_type':
      return fail('InvalidParameter', `The parameter \`${where}\` has the wrong type (${issue.expected} expected).`);
    case 'invalid_format':
      return fail('InvalidParameterValue.Malformed', `The value of \`${where}\` is malformed.`);
    case 'too_big':
      return fail('InvalidParameterValue.LimitExceeded', `The value of \`${where}\` is too large.`);
    default:
      return fail('InvalidParameterValue', `The value of \`${where}\` is invalid: ${issue?.message ?? 'unknown'}.`);
  }
};

/** Canonical JSON (sorted keys) of the parameters minus ClientToken: the idempotency fingerprint. */
export const fingerprint = (params: Record<string, unknown>): string => {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  const { ClientToken: _t, ...rest } = params;
  return JSON.stringify(canon(rest));
};

/** An ENI as the SDK's `NetworkInterface` model describes it. */
export const renderEni = (e: SimEni) => ({
  NetworkInterfaceId: e.eniId,
  NetworkInterfaceName: e.name,
  NetworkInterfaceDescription: e.description,
  SubnetId: e.subnetId,
  VpcId: e.vpcId,
  GroupSet: e.securityGroupIds,
  Primary: false,
  MacAddress: e.mac,
  State: e.state,
  NetworkInterfaceState: e.instanceId && e.state === 'AVAILABLE' ? 'INUSE' : e.state,
  PrivateIpAddressSet: [
    { ip: e.primaryIp, primary: true },
    ...e.secondaryIps.map((ip) => ({ ip, primary: false })),
  ].map(({ ip, primary }) => ({
    PrivateIpAddress: ip,
    Primary: primary,
    PublicIpAddress: '',
    AddressId: '',
    Description: '',
    IsWanIpBlocked: false,
    State: 'AVAILABLE',
  })),
  ...(e.instanceId
    ? {
        Attachment: {
          InstanceId: e.instanceId,
          DeviceIndex: e.deviceIndex ?? 0,
          InstanceAccountId: '',
          AttachTime: e.createdAt,
        },
      }
    : {}),
  Zone: e.zone,
  CreatedTime: e.createdAt,
  Ipv6AddressSet: [],
  TagSet: e.tags,
  EniType: 0,
  Business: 'cvm',
  AttachType: 0,
});
