/**
 * Shared set-up of this package's service and controller tests (no test framework imports):
 * an ipamd core over a given store and VPC, a cluster configuration on the test simulator's
 * VPC, nodes registered from the simulator's instances.
 */
import { TEST_VPC, TEST_ZONE } from '@eni-ipam/cloud/testing';
import {
  type ClusterConfig,
  defaultClusterConfig,
  type EventStore,
  type FencingToken,
  ManualClock,
  type VpcApi,
} from '@eni-ipam/core';
import { applyClusterConfig, registerNode } from '../service/cluster-setup.js';
import { createIpamdCore, type IpamdCore, type IpamdCoreOptions } from '../service/ipamd-core.js';
import type { RequestContext } from '../service/wire-types.js';

export const POD_SUBNET = 'subnet-pods0001';
export const CLUSTER_ID = 'cls-test';

export const testConfig = (o: Partial<ClusterConfig> = {}): ClusterConfig => ({
  ...defaultClusterConfig(TEST_VPC, [POD_SUBNET]),
  preBind: { min: 2, max: 4 },
  ...o,
});

export const ctx = (node: string): RequestContext => ({ requestId: 'req-1', principal: { kind: 'node', node } });

export const startCore = async (o: {
  store: EventStore;
  vpc: VpcApi;
  fence: FencingToken;
  clock?: ManualClock;
  extra?: Partial<IpamdCoreOptions>;
}): Promise<IpamdCore & { clock: ManualClock }> => {
  const clock = o.clock ?? new ManualClock();
  const core = createIpamdCore({
    store: o.store,
    vpc: o.vpc,
    clock,
    clusterId: CLUSTER_ID,
    writer: { replica: 'ipamd-test', term: 0 },
    fence: () => o.fence,
    executor: { retryAfterMs: 20, onError: (i, e) => process.env.DEBUG_IPAMD && console.log('executor', i, e) },
    reconciler: { onError: (n, a, e) => process.env.DEBUG_IPAMD && console.log('reconciler', n, a, e) },
    ...o.extra,
  });
  await core.start();
  return { ...core, clock };
};

/** Configures the cluster and registers instance `ins-0000000<i>` as node `node-<i>` for each i. */
export const setUpCluster = async (core: IpamdCore, vpc: VpcApi, nodes: number, config = testConfig()) => {
  await applyClusterConfig({ commands: core.commands, host: core.host, vpc }, config, 'test');
  for (let i = 0; i < nodes; i++) {
    await registerNode(
      { commands: core.commands, vpc },
      { name: `node-${i}`, instanceId: `ins-${String(i).padStart(8, '0')}`, zone: TEST_ZONE },
    );
  }
};
