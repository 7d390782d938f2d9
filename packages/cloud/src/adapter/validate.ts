/**
 * Input checks the adapter runs before any call goes out: a malformed id or an out-of-range
 * count is refused with a typed error and nothing is sent.
 */
import { IpamError, type IpamErrorCode } from '@eni-ipam/core';
import { z } from 'zod';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-z]{8}$`), { message: `expected ${prefix}-xxxxxxxx (8 of [0-9a-z])` });

export const eniId = id('eni');
export const subnetId = id('subnet');
export const vpcId = id('vpc');
export const instanceId = id('ins');
export const ipv4 = z.string().regex(IPV4, { message: 'expected a dotted-quad IPv4 address' });
/**
 * Tencent accepts ClientTokens of up to 64 ASCII characters; batched calls append `.N`, so the
 * caller's token is held to 58.
 */
export const clientToken = z.string().regex(/^[\x21-\x7e]{1,58}$/, { message: '1-58 printable ASCII characters' });
export const tag = z.object({ key: z.string().min(1).max(127), value: z.string().max(255) });
/** Addresses per assign request: the port batches by 10, an ENI holds at most a few dozen. */
export const MAX_ASSIGN_COUNT = 100;

const codeFor = (path: PropertyKey[], what: string): IpamErrorCode => {
  if (path.includes('subnetId') || what === 'describeSubnets') return 'InvalidSubnetId';
  if (path.includes('ips')) return 'InvalidIp';
  return 'InvalidInput';
};

/** Parses or throws an `IpamError` naming the first bad field. */
export const check = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path ?? [];
  throw new IpamError(codeFor(path, what), `${what}: ${path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`, {
    field: path.join('.'),
  });
};

const unique = (ips: readonly string[]) => new Set(ips).size === ips.length;

export const schemas = {
  createEni: z.object({
    clientToken,
    vpcId,
    subnetId,
    name: z.string().min(1).max(60),
    tags: z.array(tag).max(45),
    securityGroupIds: z.array(id('sg')).max(5).optional(),
    primaryIp: ipv4.optional(),
  }),
  attachDetach: z.object({ clientToken, eniId, instanceId }),
  deleteEni: z.object({ clientToken, eniId }),
  assignIpsByAddress: z.object({
    clientToken,
    eniId,
    ips: z.array(ipv4).min(1).max(MAX_ASSIGN_COUNT).refine(unique, 'duplicate addresses'),
    count: z.undefined().optional(),
  }),
  assignIpsByCount: z.object({
    clientToken,
    eniId,
    count: z.number().int().min(1).max(MAX_ASSIGN_COUNT),
    ips: z.undefined().optional(),
  }),
  unassignIps: z.object({
    clientToken,
    eniId,
    ips: z.array(ipv4).min(1).max(MAX_ASSIGN_COUNT).refine(unique, 'duplicate addresses'),
  }),
  describeEnis: z.object({
    eniIds: z.array(eniId).optional(),
    vpcId: vpcId.optional(),
    subnetId: subnetId.optional(),
    instanceId: instanceId.optional(),
    tags: z.array(tag).max(10).optional(),
  }),
  subnetIds: z.array(subnetId),
  instanceOrEni: z.string().regex(/^(ins|eni)-[0-9a-z]{8}$/, { message: 'expected ins-xxxxxxxx or eni-xxxxxxxx' }),
};
