import { type ClusterConfig, clusterConfigSchema, defaultClusterConfig } from '@eni-ipam/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfigMap, type SubnetFacts } from './configmap.js';

const A = 'subnet-aaaa1111';
const B = 'subnet-bbbb2222';
const C = 'subnet-cccc3333';
const VPC = 'vpc-12345678';

const current: ClusterConfig = defaultClusterConfig(VPC, [A, B]);

const facts = (
  o: { bound?: Record<string, number>; empty?: Record<string, boolean | undefined> } = {},
): SubnetFacts => ({
  boundIps: (id) => o.bound?.[id] ?? 0,
  isEmptyInVpc: (id) => (o.empty && id in o.empty ? o.empty[id] : true),
});

describe('applyConfigMap', () => {
  it('given subnets A:B, when C is added and empty, then the config lists A, B, C', () => {
    const r = applyConfigMap(
      current,
      { TKE_ENI_IPAMD_SUBNET_ID: `${A}:${B}:${C}`, TKE_ENI_IPAMD_VPC_ID: VPC },
      facts(),
    );
    expect(r).toEqual({ ok: true, changed: true, notes: [], config: { ...current, subnets: [A, B, C] } });
  });

  it('keeps the other knobs (bounds, policy, overrides) as they were', () => {
    const tuned = { ...current, preBind: { min: 2, max: 8 }, poolPolicy: 'on-demand' as const };
    const r = applyConfigMap(tuned, { TKE_ENI_IPAMD_SUBNET_ID: A }, facts());
    expect(r.ok && r.config).toEqual({ ...tuned, subnets: [A] });
  });

  it('accepts the same data as a no-op, tolerating blanks and empty parts', () => {
    const r = applyConfigMap(current, { TKE_ENI_IPAMD_SUBNET_ID: ` ${A} :: ${B}: ` }, facts());
    expect(r).toEqual({ ok: true, changed: false, notes: [], config: current });
  });

  it('leaves subnets unchanged when the key is absent', () => {
    const r = applyConfigMap(current, { TKE_ENI_IPAMD_VPC_ID: VPC }, facts());
    expect(r.ok && r.config.subnets).toEqual([A, B]);
  });

  it('ignores TKE_ENI_IPAMD_ZONE and unknown keys with a note', () => {
    const r = applyConfigMap(current, { TKE_ENI_IPAMD_ZONE: 'ap-guangzhou-3', OTHER: 'x' }, facts());
    expect(r.ok && r.notes).toEqual([
      'unknown key OTHER ignored',
      "TKE_ENI_IPAMD_ZONE is ignored: each subnet's zone comes from the VPC",
    ]);
  });

  it('a removed subnet with bound IPs drains, and says how many are still bound', () => {
    const r = applyConfigMap(current, { TKE_ENI_IPAMD_SUBNET_ID: A }, facts({ bound: { [B]: 7 } }));
    expect(r).toMatchObject({ ok: true, config: { subnets: [A] } });
    expect(r.ok && r.notes).toEqual([
      `removed subnet ${B} still has 7 bound IPs: it drains (no new addresses; released as idle)`,
    ]);
  });

  it.each<{ name: string; data: Record<string, string>; facts?: Parameters<typeof facts>[0]; reasons: unknown[] }>([
    {
      name: 'a malformed subnet id, named',
      data: { TKE_ENI_IPAMD_SUBNET_ID: `${A}:subnet-XYZ` },
      reasons: ['TKE_ENI_IPAMD_SUBNET_ID: "subnet-XYZ" not a subnet id (subnet- + 8 lowercase alphanumerics)'],
    },
    {
      name: 'two malformed ids, both named',
      data: { TKE_ENI_IPAMD_SUBNET_ID: 'bad1:bad2' },
      reasons: [expect.stringContaining('"bad1"'), expect.stringContaining('"bad2"')],
    },
    {
      name: 'a duplicate subnet',
      data: { TKE_ENI_IPAMD_SUBNET_ID: `${A}:${B}:${A}` },
      reasons: [`TKE_ENI_IPAMD_SUBNET_ID: subnet ${A} is listed twice`],
    },
    {
      name: 'a VPC change',
      data: { TKE_ENI_IPAMD_VPC_ID: 'vpc-87654321' },
      reasons: [`TKE_ENI_IPAMD_VPC_ID: the VPC cannot change from ${VPC} to "vpc-87654321"`],
    },
    {
      name: 'an added subnet in use in the VPC',
      data: { TKE_ENI_IPAMD_SUBNET_ID: `${A}:${B}:${C}` },
      facts: { empty: { [C]: false } },
      reasons: [`added subnet ${C} is not empty in the VPC (container subnets must be dedicated)`],
    },
    {
      name: 'an added subnet that could not be checked',
      data: { TKE_ENI_IPAMD_SUBNET_ID: `${A}:${B}:${C}` },
      facts: { empty: { [C]: undefined } },
      reasons: [`added subnet ${C}: could not check that it is empty in the VPC`],
    },
    {
      name: 'more subnets than allowed',
      data: {
        TKE_ENI_IPAMD_SUBNET_ID: Array.from({ length: 65 }, (_, i) => `subnet-${String(i).padStart(8, '0')}`).join(':'),
      },
      reasons: [expect.stringContaining('subnets')],
    },
  ])('rejects $name and keeps the old config', ({ data, facts: f, reasons }) => {
    const r = applyConfigMap(current, data, facts(f));
    expect(r).toEqual({ ok: false, reasons });
  });

  it('does not ask the VPC about subnets it already had', () => {
    const asked: string[] = [];
    const r = applyConfigMap(
      current,
      { TKE_ENI_IPAMD_SUBNET_ID: `${B}:${A}` },
      {
        boundIps: () => 0,
        isEmptyInVpc: (id) => {
          asked.push(id);
          return false;
        },
      },
    );
    expect(r.ok).toBe(true);
    expect(asked).toEqual([]);
  });

  it('never throws; accepts only valid configs, rejects with reasons (property)', () => {
    const id = fc.oneof(fc.constantFrom(A, B, C, 'subnet-dddd4444'), fc.string({ maxLength: 20 }));
    const data = fc.record(
      {
        TKE_ENI_IPAMD_SUBNET_ID: fc.array(id, { maxLength: 5 }).map((xs) => xs.join(':')),
        TKE_ENI_IPAMD_VPC_ID: fc.oneof(fc.constant(VPC), fc.string({ maxLength: 15 })),
        TKE_ENI_IPAMD_ZONE: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(data, fc.boolean(), (d, empty) => {
        const r = applyConfigMap(current, d, { boundIps: () => 1, isEmptyInVpc: () => empty });
        if (r.ok) {
          expect(clusterConfigSchema.safeParse(r.config).success).toBe(true);
          expect(r.config.vpcId).toBe(VPC);
          if (!empty) expect(r.config.subnets.every((x) => current.subnets.includes(x))).toBe(true);
        } else {
          expect(r.reasons.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
