/** Test helpers of @eni-ipam/store: the in-memory store, real etcd members, the contract suite. */
export { InMemoryEventStore, type InMemoryEventStoreOptions } from '../in-memory-event-store.js';
export {
  EtcdCluster,
  EtcdMember,
  type EtcdMemberOptions,
  freePort,
  startEtcd,
  startEtcdCluster,
  sweepStaleEtcdDirs,
} from './etcd-harness.js';
export { type ContractFixture, eventStoreContract, freshNode } from './event-store-contract.js';
export { nextEvents, testEvent } from './events.js';
export { makePki } from './pki.js';
