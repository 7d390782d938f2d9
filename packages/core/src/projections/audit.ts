import type { DecodedEvent } from '../events/decode.js';
import { podKey } from '../values/pod.js';

/** A span during which a pod held an address (or an exclusive ENI). `to` absent: still held. */
export interface HoldSpan {
  pod: string;
  podUid?: string;
  node: string;
  containerId: string;
  eniId: string;
  ip?: string;
  from: string;
  to?: string;
  /** Event ids of the start and end, for `ipamctl history`. */
  fromEvent: string;
  toEvent?: string;
}

/** A span during which an address was a secondary IP of an ENI. */
export interface BindSpan {
  node: string;
  eniId: string;
  from: string;
  to?: string;
}

/** One step of an ENI's life. */
export interface EniLifeEntry {
  at: string;
  type: string;
  node: string;
  eventId: string;
  /** Reason or error, when the event has one. */
  detail?: string;
}

/**
 * Who held what, when: IP -> pods that held it and ENIs it was bound to; pod -> its addresses
 * and ENIs; ENI -> its life. Built by folding every stream's events in log order (etcd +
 * archive give the whole history).
 */
export interface AuditIndex {
  ipHolders: Record<string, HoldSpan[]>;
  ipBindings: Record<string, BindSpan[]>;
  podHoldings: Record<string, HoldSpan[]>;
  eniLife: Record<string, EniLifeEntry[]>;
  /** ENI create intents not yet resolved, by intent id (their ENI id comes with the outcome). */
  pendingCreates: Record<string, EniLifeEntry>;
}

export const emptyAuditIndex = (): AuditIndex => ({
  ipHolders: {},
  ipBindings: {},
  podHoldings: {},
  eniLife: {},
  pendingCreates: {},
});

/**
 * Building is linear: lists grow in place (the index is built by one reader; copying a key's
 * whole list on every append made hot keys quadratic), and closing a span in a long list finds
 * the last open one of its owner through a side table instead of scanning the list (short lists
 * are scanned: a table per pod would cost more than it saves). The side table lives in a WeakMap
 * keyed by the list, so the exported index stays a plain value (JSON-able, comparable), and a
 * long list without one (an index built elsewhere, or one that just grew) gets it on first close.
 * Hand-written: no library keeps "last open entry per owner" over plain arrays.
 */
const openSpans = new WeakMap<object[], Map<string, number[]>>();

/** Open spans of `list` by owner key, as stacks of indexes in list order (oldest first). */
const openOf = <T extends { to?: string }>(list: T[], owner: (x: T) => string): Map<string, number[]> => {
  let table = openSpans.get(list);
  if (!table) {
    table = new Map();
    for (let i = 0; i < list.length; i++) {
      const x = list[i] as T;
      if (x.to !== undefined) continue;
      const k = owner(x);
      const stack = table.get(k);
      if (stack) stack.push(i);
      else table.set(k, [i]);
    }
    openSpans.set(list, table);
  }
  return table;
};

const push = <T>(r: Record<string, T[]>, k: string, v: T) => {
  const list = r[k];
  if (list) list.push(v);
  else r[k] = [v];
};

/** Lists up to this long are scanned (most pods hold one or two spans); longer ones get a table. */
const SCAN_LIMIT = 4;

/** Appends an open span and records it as its owner's latest open one (when the list has a table). */
const open = <T extends { to?: string }>(r: Record<string, T[]>, k: string, v: T, owner: (x: T) => string) => {
  push(r, k, v);
  const list = r[k] as T[];
  const table = openSpans.get(list);
  if (!table || v.to !== undefined) return;
  const key = owner(v);
  const stack = table.get(key);
  if (stack) stack.push(list.length - 1);
  else table.set(key, [list.length - 1]);
};

/** Finds and forgets the last open span of `ownerKey` in `list` (undefined: none open). */
const lastOpen = <T extends { to?: string }>(
  list: T[] | undefined,
  owner: (x: T) => string,
  ownerKey: string,
): number | undefined => {
  if (!list) return undefined;
  if (list.length <= SCAN_LIMIT && !openSpans.has(list)) {
    const i = list.findLastIndex((x) => x.to === undefined && owner(x) === ownerKey);
    return i < 0 ? undefined : i;
  }
  const table = openOf(list, owner);
  const stack = table.get(ownerKey);
  const i = stack?.pop();
  if (stack?.length === 0) table.delete(ownerKey); // the table holds open spans only
  return i;
};

/** Closes the last open span of `ownerKey` in `list` (none open: nothing changes). */
const close = <T extends { to?: string }>(
  list: T[] | undefined,
  owner: (x: T) => string,
  ownerKey: string,
  patch: Partial<T>,
) => {
  const i = lastOpen(list, owner, ownerKey);
  if (list && i !== undefined) list[i] = { ...(list[i] as T), ...patch };
};

/**
 * Strings repeated across the index (node names, ENI ids, addresses) kept once per index:
 * decoded events carry their own copies, and a million spans would otherwise hold a million
 * copies of 50 node names. Pod keys are not interned: most pods are held once (a table entry
 * would cost more than the copy it saves). Per index (WeakMap), so nothing outlives it.
 */
const internTables = new WeakMap<AuditIndex, Map<string, string>>();
const interner = (idx: AuditIndex): ((s: string) => string) => {
  let t = internTables.get(idx);
  if (!t) {
    t = new Map();
    internTables.set(idx, t);
  }
  const table = t;
  return (s) => {
    const x = table.get(s);
    if (x !== undefined) return x;
    table.set(s, s);
    return s;
  };
};

const holdOwner = (x: HoldSpan) => `${x.node}\u0000${x.containerId}`;
const bindOwner = (x: BindSpan) => x.eniId;

const life = (idx: AuditIndex, e: DecodedEvent, eniId: string, node: string, detail?: string) =>
  push(idx.eniLife, eniId, { at: e.at, type: e.type, node, eventId: e.id, ...(detail ? { detail } : {}) });

/** Event types the audit index folds (`applyAudit`); a reader may skip the others undecoded. */
export const AUDIT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'IpAllocated',
  'EniAssigned',
  'IpReleased',
  'EniReturned',
  'IpsBound',
  'IpsUnbound',
  'IpsLost',
  'EniCreateRequested',
  'EniCreated',
  'EniOperationFailed',
  'EniAttachRequested',
  'EniDetachRequested',
  'EniDeleteRequested',
  'EniAttached',
  'EniDetached',
  'EniDeleted',
]);

/**
 * Adds one event to the index (mutates and returns it: the index is built by one reader).
 * Events of subnet and cluster streams are ignored.
 */
export const applyAudit = (idx: AuditIndex, e: DecodedEvent): AuditIndex => {
  if (!e.stream.startsWith('node/')) return idx;
  const intern = interner(idx);
  const node = intern(e.stream.slice('node/'.length));
  switch (e.type) {
    case 'IpAllocated':
    case 'EniAssigned': {
      const d = e.data;
      // one object in both lists (the IP's and the pod's) for as long as the hold lasts
      const span: HoldSpan = {
        pod: podKey(d.pod),
        node,
        containerId: d.containerId,
        eniId: intern(d.eniId),
        from: e.at,
        fromEvent: e.id,
      };
      if (d.pod.uid) span.podUid = d.pod.uid;
      if (e.type === 'IpAllocated') {
        span.ip = intern(e.data.ip);
        open(idx.ipHolders, span.ip, span, holdOwner);
      }
      open(idx.podHoldings, span.pod, span, holdOwner);
      break;
    }
    case 'IpReleased':
    case 'EniReturned': {
      const d = e.data;
      const who = `${node}\u0000${d.containerId}`;
      const end = { to: e.at, toEvent: e.id };
      const podList = idx.podHoldings[podKey(d.pod)];
      const j = lastOpen(podList, holdOwner, who);
      const held = podList && j !== undefined ? (podList[j] as HoldSpan) : undefined;
      let closed: HoldSpan | undefined;
      if (e.type === 'IpReleased') {
        const ipList = idx.ipHolders[e.data.ip];
        const i = lastOpen(ipList, holdOwner, who);
        if (ipList && i !== undefined) {
          const was = ipList[i] as HoldSpan;
          ipList[i] = { ...was, ...end };
          // the same hold in both lists stays one object once closed (half the memory)
          if (was === held) closed = ipList[i];
        }
      }
      if (podList && j !== undefined) podList[j] = closed ?? { ...(held as HoldSpan), ...end };
      break;
    }
    case 'IpsBound': {
      const eniId = intern(e.data.eniId);
      for (const ip of e.data.ips) open(idx.ipBindings, ip, { node, eniId, from: e.at }, bindOwner);
      break;
    }
    case 'IpsUnbound':
    case 'IpsLost':
      for (const ip of e.data.ips) close(idx.ipBindings[ip], bindOwner, e.data.eniId, { to: e.at });
      break;
    case 'EniCreateRequested':
      idx.pendingCreates[e.data.intentId] = { at: e.at, type: e.type, node, eventId: e.id, detail: e.data.why };
      break;
    case 'EniCreated': {
      const req = idx.pendingCreates[e.data.intentId];
      if (req) {
        push(idx.eniLife, e.data.eniId, req);
        delete idx.pendingCreates[e.data.intentId];
      }
      life(idx, e, e.data.eniId, node, `primary ${e.data.primaryIp} in ${e.data.subnetId}`);
      break;
    }
    case 'EniOperationFailed':
      if (e.data.eniId) life(idx, e, e.data.eniId, node, `${e.data.operation}: ${e.data.errorCode} ${e.data.message}`);
      else delete idx.pendingCreates[e.data.intentId];
      break;
    case 'EniAttachRequested':
    case 'EniDetachRequested':
    case 'EniDeleteRequested':
      life(idx, e, e.data.eniId, node, e.data.why);
      break;
    case 'EniAttached':
    case 'EniDetached':
    case 'EniDeleted':
      life(idx, e, e.data.eniId, node);
      break;
    default:
      break;
  }
  return idx;
};

/** The audit index of a sequence of events in log order. */
export const auditIndex = (events: Iterable<DecodedEvent>): AuditIndex => {
  const idx = emptyAuditIndex();
  for (const e of events) applyAudit(idx, e);
  return idx;
};

/** Who held `ip` at ISO time `at` (for `ipamctl history --ip X --at T`). */
export const holderAt = (idx: AuditIndex, ip: string, at: string): HoldSpan | undefined => {
  const t = Date.parse(at);
  return idx.ipHolders[ip]?.find((s) => Date.parse(s.from) <= t && (s.to === undefined || t < Date.parse(s.to)));
};
