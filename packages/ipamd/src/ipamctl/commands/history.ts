import { type AuditIndex, auditIndex, type BindSpan, type EniLifeEntry, type HoldSpan } from '@eni-ipam/core';
import type { LoggedEvent } from './load.js';
import { inWindow, overlaps, type Window } from './parse.js';

/**
 * `ipamctl history`: answered from core's audit index, built once from a replay of the whole
 * history (archive + etcd). Each query is then a lookup plus a filter of one key's spans.
 */
export const buildAuditIndex = (events: Iterable<LoggedEvent>): AuditIndex => auditIndex(events);

export interface IpHistory {
  ip: string;
  /** Pods that held the address, oldest first. */
  holders: HoldSpan[];
  /** ENIs the address was bound to, oldest first. */
  bindings: BindSpan[];
}

export const ipHistory = (idx: AuditIndex, ip: string, w: Window = {}): IpHistory => ({
  ip,
  holders: (idx.ipHolders[ip] ?? []).filter((s) => overlaps(w, s.from, s.to)),
  bindings: (idx.ipBindings[ip] ?? []).filter((s) => overlaps(w, s.from, s.to)),
});

export interface PodHistory {
  pod: string;
  holdings: HoldSpan[];
}

export const podHistory = (idx: AuditIndex, pod: string, w: Window = {}): PodHistory => ({
  pod,
  holdings: (idx.podHoldings[pod] ?? []).filter((s) => overlaps(w, s.from, s.to)),
});

export interface EniHistory {
  eniId: string;
  life: EniLifeEntry[];
}

export const eniHistory = (idx: AuditIndex, eniId: string, w: Window = {}): EniHistory => ({
  eniId,
  life: (idx.eniLife[eniId] ?? []).filter((x) => inWindow(w, x.at)),
});
