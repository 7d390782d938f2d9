import type { RecordedEvent } from '@eni-ipam/core';
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

/** What a history question is about. */
export type HistorySubject = { kind: 'ip'; ip: string } | { kind: 'pod'; pod: string } | { kind: 'eni'; eniId: string };

type Data = { ip?: string; ips?: readonly string[]; pod?: { namespace: string; name: string }; eniId?: string };

/**
 * The events that can change the audit index's entry of one subject (a pre-filter on the stored
 * form, so a million-event log is decoded and folded only where it matters):
 * - an IP: allocations and releases of it, binds and unbinds that name it;
 * - a pod: its allocations, releases, ENI assignments and returns;
 * - an ENI: events naming it, plus every ENI create intent (its id comes with the outcome).
 * Folding only these gives the same entry as the whole log: each entry's spans are opened and
 * closed by events about that same subject.
 */
export const relevantTo =
  (s: HistorySubject) =>
  (e: RecordedEvent): boolean => {
    if (!e.stream.startsWith('node/')) return false;
    const d = e.data as Data;
    switch (s.kind) {
      case 'ip':
        return (
          ((e.type === 'IpAllocated' || e.type === 'IpReleased') && d.ip === s.ip) ||
          ((e.type === 'IpsBound' || e.type === 'IpsUnbound' || e.type === 'IpsLost') &&
            (d.ips?.includes(s.ip) ?? false))
        );
      case 'pod':
        return (
          (e.type === 'IpAllocated' ||
            e.type === 'IpReleased' ||
            e.type === 'EniAssigned' ||
            e.type === 'EniReturned') &&
          d.pod !== undefined &&
          `${d.pod.namespace}/${d.pod.name}` === s.pod
        );
      case 'eni':
        return e.type === 'EniCreateRequested' || (e.type.startsWith('Eni') && d.eniId === s.eniId);
    }
  };
