/**
 * @eni-ipam/store: the event log (the `EventStore` port of core) on etcd, its leader election,
 * archival, and the in-memory twin for unit tests.
 */
export {
  type ArchiveManifest,
  ArchiveReader,
  type ArchiveSegment,
  readPendingSegments,
  readSegmentIndex,
  type SegmentIndex,
  type SegmentSubject,
  segmentConcerns,
  segmentIndexFileName,
  segmentIndexOf,
} from './archive-format.js';
export { Archiver, type ArchiverOptions, type MaintenanceReport } from './archiver.js';
export { type EventDecoder, validateAppend, validateEnvelope } from './envelope.js';
export { type AppenderOptions, EtcdAppender, type TxnSender } from './etcd-appender.js';
export { createEtcdClient, type EtcdConnectionOptions } from './etcd-client.js';
export { isAmbiguousWrite, mapEtcdError } from './etcd-errors.js';
export { EtcdEventStore, type EtcdEventStoreOptions } from './etcd-event-store.js';
export { EtcdSubscription, type SubscriptionState, subscriptionTransition } from './etcd-subscription.js';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './in-memory-event-store.js';
export { assertStreamName, isValidStreamName, KeyLayout } from './keys.js';
export {
  LeaderElection,
  type LeaderElectionOptions,
  type LeaderInfo,
  type LeadershipEvent,
  type LeadershipState,
  leadershipTransition,
} from './leader-election.js';
export { DEFAULT_LIMITS, type EtcdLimits } from './limits.js';
export { timeSlicer } from './time-slice.js';
