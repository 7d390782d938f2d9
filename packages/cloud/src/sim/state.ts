/**
 * The simulator's whole state: plain JSON, so it can be dumped for invariant checks and
 * persisted across restarts. Built from a seed (see packages/cloud/README.md, "Seed format").
 */
import { z } from 'zod';
import { parseCidr } from './ipv4.js';

export type SimEniState = 'PENDING' | 'AVAILABLE' | 'ATTACHING' | 'DETACHING' | 'DELETING';

export interface SimTag {
  Key: string;
  Value: string;
}

export interface SimEni {
  eniId: string;
  name: string;
  description: string;
  vpcId: string;
  subnetId: string;
  zone: string;
  mac: string;
  state: SimEniState;
  primaryIp: string;
  secondaryIps: string[];
  /** Set from the start of an attach until the end of a detach. */
  instanceId?: string;
  deviceIndex?: number;
  tags: SimTag[];
  securityGroupIds: string[];
  createdAt: string;
  /** The asynchronous task running on this ENI, if any (mutex). */
  runningTask?: string;
}

export type TaskAction =
  | 'CreateNetworkInterface'
  | 'AttachNetworkInterface'
  | 'DetachNetworkInterface'
  | 'DeleteNetworkInterface'
  | 'AssignPrivateIpAddresses'
  | 'UnassignPrivateIpAddresses';

export interface SimTask {
  taskId: string;
  action: TaskAction;
  resourceId: string;
  status: 'RUNNING' | 'SUCCESS' | 'FAILED';
  /** Simulator clock (ms) at which the task settles. */
  doneAt: number;
  willFail: boolean;
  /** What to undo when the task fails (IPs handed out by an assign). */
  ips?: string[];
}

export interface IdempotencyEntry {
  action: string;
  /** Canonical JSON of the parameters without ClientToken. */
  params: string;
  /** The first call's response fields (RequestId excluded). */
  response: Record<string, unknown>;
  taskId: string;
}

export interface SimState {
  version: 1;
  region: string;
  vpc: { vpcId: string; cidr: string };
  subnets: Record<string, { subnetId: string; name: string; cidr: string; zone: string; createdAt: string }>;
  instanceTypes: Record<string, { maxEnis: number; ipsPerEni: number }>;
  instances: Record<string, { instanceId: string; instanceType: string; zone: string }>;
  /** IP quota of an ENI attached to nothing (the quota of the smallest instance type otherwise). */
  unattachedIpsPerEni: number;
  enis: Record<string, SimEni>;
  tasks: Record<string, SimTask>;
  /** RequestIds of idempotent repeats, pointing at the first call's task. */
  taskAliases: Record<string, string>;
  idempotency: Record<string, IdempotencyEntry>;
  /** Monotonic counter for MAC addresses and creation order. */
  seq: number;
}

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-z]{8}$`), `expected ${prefix}-xxxxxxxx`);
const cidr = z.string().refine((c) => parseCidr(c) !== undefined, 'expected an aligned IPv4 CIDR like 10.0.1.0/24');

/** The seed file: a VPC, its subnets, instance types with their ENI limits, and instances. */
export const seedSchema = z
  .object({
    region: z.string().min(1).default('ap-guangzhou'),
    vpc: z.object({ vpcId: id('vpc'), cidr }).strict(),
    subnets: z
      .array(
        z
          .object({
            subnetId: id('subnet'),
            cidr: cidr.refine((c) => (parseCidr(c)?.prefix ?? 0) <= 29, 'subnets are /29 or larger'),
            zone: z.string().min(1),
            name: z.string().default(''),
          })
          .strict(),
      )
      .min(1),
    instanceTypes: z.record(
      z.string().min(1),
      z.object({ maxEnis: z.number().int().min(1).max(64), ipsPerEni: z.number().int().min(1).max(256) }).strict(),
    ),
    instances: z.array(
      z.object({ instanceId: id('ins'), instanceType: z.string().min(1), zone: z.string().min(1) }).strict(),
    ),
    unattachedIpsPerEni: z.number().int().min(1).max(256).default(10),
  })
  .strict()
  .superRefine((s, ctx) => {
    const vpc = parseCidr(s.vpc.cidr);
    for (const [i, sn] of s.subnets.entries()) {
      const c = parseCidr(sn.cidr);
      if (vpc && c && (c.base < vpc.base || c.base + c.size > vpc.base + vpc.size))
        ctx.addIssue({ code: 'custom', path: ['subnets', i, 'cidr'], message: 'subnet outside the VPC CIDR' });
    }
    for (const [i, ins] of s.instances.entries())
      if (!(ins.instanceType in s.instanceTypes))
        ctx.addIssue({ code: 'custom', path: ['instances', i, 'instanceType'], message: 'unknown instance type' });
  });

export type Seed = z.input<typeof seedSchema>;

/** Parses and checks a seed; throws a readable error listing every problem. */
export const parseSeed = (raw: unknown): z.output<typeof seedSchema> => {
  const r = seedSchema.safeParse(raw);
  if (!r.success) throw new Error(`invalid VPC simulator seed:\n${z.prettifyError(r.error)}`);
  return r.data;
};

export const stateFromSeed = (raw: unknown, createdAt: string): SimState => {
  const seed = parseSeed(raw);
  return {
    version: 1,
    region: seed.region,
    vpc: seed.vpc,
    subnets: Object.fromEntries(seed.subnets.map((s) => [s.subnetId, { ...s, createdAt }])),
    instanceTypes: seed.instanceTypes,
    instances: Object.fromEntries(seed.instances.map((i) => [i.instanceId, i])),
    unattachedIpsPerEni: seed.unattachedIpsPerEni,
    enis: {},
    tasks: {},
    taskAliases: {},
    idempotency: {},
    seq: 0,
  };
};
