import type { Clock, EventStore, FencingToken, VpcApi, Writer } from '@eni-ipam/core';
import { ClaimExpiry, type ClaimExpiryOptions } from '../controllers/claim-expiry.js';
import { CloudAudit, type CloudAuditOptions } from '../controllers/cloud-audit.js';
import { CloudExecutor, type CloudExecutorOptions } from '../controllers/cloud-executor.js';
import { PoolReconciler, type PoolReconcilerOptions } from '../controllers/pool-reconciler.js';
import { CommandService } from './command-service.js';
import { IpamServiceImpl, type IpamServiceOptions } from './ipam-service.js';
import { ProjectionHost, type ProjectionHostOptions } from './projection-host.js';

export interface IpamdCoreOptions {
  store: EventStore;
  vpc: VpcApi;
  clock: Clock;
  clusterId: string;
  writer: Writer;
  fence: () => FencingToken | undefined;
  projection?: Omit<ProjectionHostOptions, 'store'>;
  executor?: Partial<Omit<CloudExecutorOptions, 'host' | 'commands' | 'vpc' | 'clusterId'>>;
  reconciler?: Partial<Omit<PoolReconcilerOptions, 'host' | 'commands' | 'clock'>>;
  service?: Partial<Omit<IpamServiceOptions, 'store' | 'host' | 'commands'>>;
  claimExpiry?: Partial<Omit<ClaimExpiryOptions, 'host' | 'commands' | 'clock'>>;
  cloudAudit?: Partial<Omit<CloudAuditOptions, 'host' | 'commands' | 'vpc' | 'clusterId'>>;
  newId?: () => string;
}

/**
 * ipamd's application core wired together: projection host, command service, IpamService,
 * cloud executor and pool reconciler (allocation refusals and releases wake the reconciler).
 * `start()` catches up with the log, then starts the controllers; call it on the leader (a
 * follower starts only the host and serves reads).
 */
export const createIpamdCore = (o: IpamdCoreOptions) => {
  const host = new ProjectionHost({ store: o.store, ...o.projection });
  const commands = new CommandService({
    store: o.store,
    host,
    clock: o.clock,
    writer: o.writer,
    fence: o.fence,
    ...(o.newId ? { newId: o.newId } : {}),
  });
  const deps = { host, commands, clock: o.clock };
  const reconciler = new PoolReconciler({ ...deps, ...o.reconciler });
  const claimExpiry = new ClaimExpiry({ ...deps, ...o.claimExpiry });
  const executor = new CloudExecutor({ host, commands, vpc: o.vpc, clusterId: o.clusterId, ...o.executor });
  const cloudAudit = new CloudAudit({ host, commands, vpc: o.vpc, clusterId: o.clusterId, ...o.cloudAudit });
  const service = new IpamServiceImpl({
    store: o.store,
    host,
    commands,
    onPoolExhausted: (node) => reconciler.wake(node),
    onReleased: (node) => reconciler.wake(node),
    ...o.service,
  });
  return {
    host,
    commands,
    service,
    executor,
    reconciler,
    claimExpiry,
    cloudAudit,
    /** Catch up with the log, then run the controllers. */
    async start(): Promise<void> {
      await host.start();
      executor.start();
      reconciler.start();
      claimExpiry.start();
      cloudAudit.start();
    },
    /** Both controllers quiet (no planning, no cloud call queued): for tests. */
    async settle(): Promise<void> {
      for (let i = 0; i < 1000; i++) {
        await reconciler.idle();
        await executor.idle();
        await new Promise((r) => setImmediate(r));
        if (!reconciler.busy && executor.pending === 0) return;
      }
    },
    async stop(): Promise<void> {
      await cloudAudit.stop();
      await claimExpiry.stop();
      await reconciler.stop();
      await executor.stop();
      await host.stop();
    },
  };
};

export type IpamdCore = ReturnType<typeof createIpamdCore>;
