import { describe, expect, it } from 'vitest';
import { clusterSpec, meta, SUBNET_A, SUBNET_B, VPC } from '../testing/index.js';
import { type ClusterCommand, configFromConfigMap, defaultClusterConfig, nodePoolSettings } from './cluster.js';

const base = defaultClusterConfig(VPC, [SUBNET_A]);
const change = (config: object, observedSubnets: object[] = [], n = 1) =>
  ({ ...meta(n), type: 'ChangeConfig', config, source: 'configmap rv 1', observedSubnets }) as ClusterCommand;
const empty = (subnetId: string) => ({ subnetId, availableIps: 253, totalIps: 253 });
const first = { type: 'ConfigChanged' as const, data: { config: base, source: 'x' } };

describe('cluster configuration (DESIGN 1.1)', () => {
  it('the first configuration is recorded', () =>
    clusterSpec
      .given([])
      .when(change(base, [empty(SUBNET_A)]))
      .thenEvents([{ type: 'ConfigChanged', data: { config: base, source: 'configmap rv 1' } }]));

  it('the same configuration again changes nothing', () =>
    clusterSpec.given([first]).when(change(base)).thenNothingHappened());

  it('added subnets must be empty', () => {
    const next = { ...base, subnets: [SUBNET_A, SUBNET_B] };
    clusterSpec
      .given([first])
      .when(change(next, [{ subnetId: SUBNET_B, availableIps: 250, totalIps: 253 }]))
      .thenThrows('SubnetNotEmpty');
    clusterSpec.given([first]).when(change(next, [])).thenThrows('InvalidInput');
    clusterSpec
      .given([first])
      .when(change(next, [empty(SUBNET_B)]))
      .thenMatches([{ type: 'ConfigChanged' }]);
  });

  it.each([
    { name: 'malformed subnet id', config: { ...base, subnets: ['subnet-XX'] }, code: 'InvalidSubnetId' },
    { name: 'negative pre-bind', config: { ...base, preBind: { min: -1, max: 5 } }, code: 'InvalidPreBindBounds' },
    { name: 'inverted pre-bind', config: { ...base, preBind: { min: 6, max: 5 } }, code: 'InvalidPreBindBounds' },
    {
      name: 'inverted node override',
      config: { ...base, nodeOverrides: { 'node-a': { preBind: { min: 3, max: 1 } } } },
      code: 'InvalidPreBindBounds',
    },
    { name: 'bad pool policy', config: { ...base, poolPolicy: 'lazy' }, code: 'InvalidInput' },
    { name: 'bad VPC id', config: { ...base, vpcId: 'vpc-1' }, code: 'InvalidInput' },
    { name: 'subnet twice', config: { ...base, subnets: [SUBNET_A, SUBNET_A] }, code: 'InvalidInput' },
    { name: 'missing field', config: { vpcId: VPC }, code: 'InvalidInput' },
  ])('a bad value keeps the old config: $name -> $code', ({ config, code }) =>
    clusterSpec
      .given([first])
      .when(change(config))
      .thenThrows(code as never));

  it('reads the TKE ConfigMap: subnets separated by ":", the zone key ignored', () => {
    const c = configFromConfigMap(
      {
        TKE_ENI_IPAMD_SUBNET_ID: `${SUBNET_A}:${SUBNET_B}:`,
        TKE_ENI_IPAMD_VPC_ID: 'vpc-99999999',
        TKE_ENI_IPAMD_ZONE: 'whatever',
      },
      base,
    );
    expect(c).toMatchObject({ subnets: [SUBNET_A, SUBNET_B], vpcId: 'vpc-99999999', preBind: { min: 5, max: 5 } });
    expect(() => configFromConfigMap({ TKE_ENI_IPAMD_SUBNET_ID: 'subnet-BAD' }, base)).toThrow(/subnet/);
    expect(configFromConfigMap({}, base).subnets).toEqual([SUBNET_A]);
  });

  it('per-node overrides win over the cluster settings', () => {
    const c = {
      ...base,
      nodeOverrides: { 'node-a': { preBind: { min: 1, max: 2 }, poolPolicy: 'on-demand' as const } },
    };
    expect(nodePoolSettings(c, 'node-a')).toEqual({
      preBind: { min: 1, max: 2 },
      poolPolicy: 'on-demand',
      releaseIntervalMs: 120_000,
    });
    expect(nodePoolSettings(c, 'node-b')).toEqual({
      preBind: { min: 5, max: 5 },
      poolPolicy: 'warm',
      releaseIntervalMs: 120_000,
    });
  });
});
