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

const push = <T>(r: Record<string, T[]>, k: string, v: T) => {
  r[k] = [...(r[k] ?? []), v];
};

const close = <T extends { to?: string }>(list: T[] | undefined, match: (x: T) => boolean, patch: Partial<T>) => {
  if (!list) return;
  for (let i = list.length - 1; i >= 0; i--) {
    const x = list[i] as T;
    if (x.to === undefined && match(x)) {
      list[i] = { ...x, ...patch };
      return;
    }
  }
};

const life = (idx: AuditIndex, e: DecodedEvent, eniId: string, node: string, detail?: string) =>
  push(idx.eniLife, eniId, { at: e.at, type: e.type, node, eventId: e.id, ...(detail ? { detail } : {}) });

/**
 * Adds one event to the index (mutates and returns it: the index is built by one reader).
 * Events of subnet and cluster streams are ignored.
 */
export const applyAudit = (idx: AuditIndex, e: DecodedEvent): AuditIndex => {
  if (!e.stream.startsWith('node/')) return idx;
  const node = e.stream.slice('node/'.length);
  switch (e.type) {
    case 'IpAllocated':
    case 'EniAssigned': {
      const d = e.data;
      const span: HoldSpan = {
        pod: podKey(d.pod),
        node,
        containerId: d.containerId,
        eniId: d.eniId,
        from: e.at,
        fromEvent: e.id,
      };
      if (d.pod.uid) span.podUid = d.pod.uid;
      if (e.type === 'IpAllocated') {
        span.ip = e.data.ip;
        push(idx.ipHolders, e.data.ip, span);
      }
      push(idx.podHoldings, span.pod, span);
      break;
    }
    case 'IpReleased':
    case 'EniReturned': {
      const d = e.data;
      const m = (x: HoldSpan) => x.containerId === d.containerId && x.node === node;
      if (e.type === 'IpReleased') close(idx.ipHolders[e.data.ip], m, { to: e.at, toEvent: e.id });
      close(idx.podHoldings[podKey(d.pod)], m, { to: e.at, toEvent: e.id });
      break;
    }
    case 'IpsBound':
      for (const ip of e.data.ips) push(idx.ipBindings, ip, { node, eniId: e.data.eniId, from: e.at });
      break;
    case 'IpsUnbound':
      for (const ip of e.data.ips) close(idx.ipBindings[ip], (x) => x.eniId === e.data.eniId, { to: e.at });
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
