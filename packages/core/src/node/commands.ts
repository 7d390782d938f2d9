import { z } from 'zod';
import { commandMetaShape } from '../decider/command-meta.js';
import { cloudErrorCodeSchema, intentIdSchema, messageSchema, whySchema } from '../events/common.js';
import { nodeLimitsSchema } from '../events/node-events.js';
import { eniIdSchema, isDns1123Label, isDns1123Subdomain, nodeNameSchema, subnetIdSchema } from '../values/ids.js';
import { ipv4Schema } from '../values/ipv4.js';
import { parseWith } from '../values/parse.js';
import { containerIdSchema, podRefSchema } from '../values/pod.js';

const cmd = <const T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...commandMetaShape, node: nodeNameSchema, ...shape });

/**
 * The commands of a node stream. Every one names its node and carries the command meta (`id`,
 * `at`, `by`, `cause`). `Request*` commands create cloud intents; `Record*` commands turn a cloud
 * outcome into an event (an outcome for an unknown or resolved intent is ignored).
 */
export const nodeCommandSchema = z.discriminatedUnion('type', [
  /** A node joined (or came back after removal). */
  cmd('RegisterNode', {
    instanceId: z.string().min(1).max(100),
    zone: z.string().min(1).max(100),
    limits: nodeLimitsSchema,
  }),
  /** The instance's ENI limits changed. */
  cmd('ChangeNodeLimits', { limits: nodeLimitsSchema }),
  /** Stop taking pods; release the pool. */
  cmd('DrainNode', { reason: whySchema }),
  /** Forget a drained node that holds no ENIs and no pods. */
  cmd('RemoveNode', { reason: whySchema }),
  cmd('RequestEniCreate', { subnetId: subnetIdSchema, why: whySchema }),
  cmd('RequestEniAttach', { eniId: eniIdSchema, why: whySchema }),
  cmd('RequestEniDetach', { eniId: eniIdSchema, why: whySchema, slowRelease: z.literal(true).optional() }),
  cmd('RequestEniDelete', { eniId: eniIdSchema, why: whySchema }),
  cmd('RecordEniCreated', {
    intentId: intentIdSchema,
    eniId: eniIdSchema,
    primaryIp: ipv4Schema,
    mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'not a MAC address'),
  }),
  cmd('RecordEniAttached', { intentId: intentIdSchema, deviceIndex: z.number().int().min(0).max(64).optional() }),
  cmd('RecordEniDetached', { intentId: intentIdSchema }),
  cmd('RecordEniDeleted', { intentId: intentIdSchema }),
  /** Any ENI intent failed (create, attach, detach, delete). */
  cmd('RecordEniOperationFailed', {
    intentId: intentIdSchema,
    errorCode: cloudErrorCodeSchema,
    message: messageSchema,
  }),
  /**
   * Bind these exact addresses. Not for direct use: the addresses must be reserved in their
   * subnet in the same append; use `decideBindIps` (cross-stream), which picks them.
   */
  cmd('RequestIpBind', {
    eniId: eniIdSchema,
    ips: z.array(ipv4Schema).min(1).max(256),
    why: whySchema,
    forPod: z.string().min(3).max(400).optional(),
  }),
  cmd('RecordIpsBound', { intentId: intentIdSchema }),
  cmd('RecordIpBindFailed', { intentId: intentIdSchema, errorCode: cloudErrorCodeSchema, message: messageSchema }),
  /** Unbind idle addresses from an ENI. */
  /** Unbind idle addresses; `slowRelease` marks the plan's paced release (see `PoolPlan.slowReleaseAt`). */
  cmd('RequestIpUnbind', {
    eniId: eniIdSchema,
    ips: z.array(ipv4Schema).min(1).max(256),
    why: whySchema,
    slowRelease: z.literal(true).optional(),
  }),
  cmd('RecordIpsUnbound', { intentId: intentIdSchema }),
  /**
   * The cloud shows these bound addresses of the ENI gone (see the `IpsLost` event). Pods on
   * them are released first. Addresses not bound on the ENI (in flight, already gone) are skipped.
   */
  cmd('RecordIpsLost', { eniId: eniIdSchema, ips: z.array(ipv4Schema).min(1).max(256), why: whySchema }),
  cmd('RecordIpUnbindFailed', { intentId: intentIdSchema, errorCode: cloudErrorCodeSchema, message: messageSchema }),
  /** Shared mode, warm pool, no claim: a free bound IP for a pod. Idempotent per container id. */
  cmd('AllocateIp', { pod: podRefSchema, containerId: containerIdSchema }),
  /** Shared mode: the pod's IP back to the node pool. Releasing an unknown container is a no-op. */
  cmd('ReleaseIp', {
    containerId: containerIdSchema,
    why: whySchema,
    /** For a claimed address (decided through `decideCross`): how long a `Never` claim is kept. */
    claimExpiryMs: z.number().int().min(1000).nullable().optional(),
  }),
  /** Exclusive mode: a whole ENI for a pod. Idempotent per container id. */
  cmd('AssignEni', { pod: podRefSchema, containerId: containerIdSchema }),
  /** Exclusive mode: the pod's ENI back to the pool. Returning an unknown container is a no-op. */
  cmd('ReturnEni', { containerId: containerIdSchema, why: whySchema }),
]);

export type NodeCommand = z.infer<typeof nodeCommandSchema>;
export type NodeCommandType = NodeCommand['type'];
/** One command type by name. */
export type NodeCommandOf<T extends NodeCommandType> = Extract<NodeCommand, { type: T }>;

/**
 * Validates an untyped node command (for example an API body). Bad ids get their own codes
 * (`InvalidNodeName`, `InvalidEniId`, `InvalidSubnetId`, `InvalidIp`), an unknown `type` gets
 * `UnknownCommand`, anything else `InvalidInput`.
 */
export const parseNodeCommand = (input: unknown): NodeCommand => {
  if (isHotCommand(input)) return input;
  const type = (input as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !nodeCommandSchema.options.some((o) => o.shape.type.value === type)) {
    return parseWith(z.never(), input, 'UnknownCommand', `node command type ${JSON.stringify(type)}`);
  }
  return parseWith(nodeCommandSchema, input, 'InvalidInput', `${type} command`);
};

/** The pattern zod's `z.iso.datetime({ offset: true })` uses (from zod, so the two cannot drift). */
const AT = z.core.regexes.datetime({ offset: true });
const COMMAND_ID = /^[A-Za-z0-9._-]{1,60}$/;
const CONTAINER_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const CAUSE_KEYS = new Set(['commandId', 'podUid', 'containerId', 'cloudRequestId', 'eventId']);
const ALLOCATE_KEYS = new Set(['type', 'id', 'at', 'by', 'cause', 'node', 'pod', 'containerId']);
const RELEASE_KEYS = new Set(['type', 'id', 'at', 'by', 'cause', 'node', 'containerId', 'why', 'claimExpiryMs']);
const POD_KEYS = new Set(['namespace', 'name', 'uid']);

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown, min: number, max: number): x is string =>
  typeof x === 'string' && x.length >= min && x.length <= max;
const isInt = (x: unknown, min: number): boolean => Number.isSafeInteger(x) && (x as number) >= min;
const onlyKeys = (x: Record<string, unknown>, keys: ReadonlySet<string>): boolean => {
  for (const k in x) if (!keys.has(k)) return false;
  return true;
};

const metaOk = (x: Record<string, unknown>): boolean => {
  if (typeof x.id !== 'string' || !COMMAND_ID.test(x.id)) return false;
  if (typeof x.at !== 'string' || !AT.test(x.at)) return false;
  const by = x.by;
  if (!isRecord(by) || !isStr(by.replica, 1, 200) || !isInt(by.term, 0)) return false;
  for (const k in by) if (k !== 'replica' && k !== 'term') return false;
  const cause = x.cause;
  if (cause === undefined) return true;
  if (!isRecord(cause)) return false;
  for (const k in cause) {
    if (!CAUSE_KEYS.has(k)) return false;
    if (cause[k] !== undefined && !isStr(cause[k], 0, 200)) return false;
  }
  return true;
};

const podOk = (p: unknown): boolean =>
  isRecord(p) &&
  onlyKeys(p, POD_KEYS) &&
  typeof p.namespace === 'string' &&
  isDns1123Label(p.namespace) &&
  typeof p.name === 'string' &&
  isDns1123Subdomain(p.name) &&
  (p.uid === undefined || isStr(p.uid, 1, 128));

/**
 * `nodeCommandSchema`'s verdict on the two commands of every pod start and stop (`AllocateIp`,
 * `ReleaseIp`), written by hand: zod's parse (a copy of the command and its pod) was about 3% of
 * the leader's CPU in the allocation benchmarks. False sends the command to zod, which gives the
 * verdict and explains a refusal; a property test keeps the two in agreement.
 */
export const isHotCommand = (x: unknown): x is NodeCommandOf<'AllocateIp' | 'ReleaseIp'> => {
  if (!isRecord(x) || typeof x.node !== 'string' || !isDns1123Subdomain(x.node)) return false;
  if (typeof x.containerId !== 'string' || !CONTAINER_ID.test(x.containerId)) return false;
  if (x.type === 'AllocateIp') return onlyKeys(x, ALLOCATE_KEYS) && podOk(x.pod) && metaOk(x);
  if (x.type !== 'ReleaseIp' || !onlyKeys(x, RELEASE_KEYS) || !isStr(x.why, 1, 2000)) return false;
  const expiry = x.claimExpiryMs;
  return (expiry === undefined || expiry === null || isInt(expiry, 1000)) && metaOk(x);
};
