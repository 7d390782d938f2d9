export type { Fault, FaultSpec } from './faults.js';
export { type RecordedRequest, TOKEN_REVIEW_PATH, type TokenUser } from './http-handler.js';
export { type Change, ObjectStore, type ObjectStoreOptions } from './object-store.js';
export { applyPatch, PATCH_TYPES, type PatchType } from './patch.js';
export {
  apiVersionOf,
  defaultResources,
  type FieldGetter,
  type KubeObject,
  type ObjectMeta,
  type ResourceDef,
  type ResourceRowOptions,
  resource,
} from './resources.js';
export { fieldMatcher, labelMatcher, parseFieldSelector, parseLabelSelector } from './selectors.js';
export { type FakeApiServer, type FakeApiServerOptions, type PatchOptions, startFakeApiServer } from './server.js';
export { ApiStatusError, type KubeStatus, type StatusReason } from './status.js';
