import type { NodePoolView } from '@eni-ipam/core';
import type { EniHistory, IpHistory, PodHistory } from './commands/history.js';
import type { LoggedEvent } from './commands/load.js';
import type { ClusterView, StatusSummary } from './commands/state.js';
import type { VerifyReport } from './commands/verify.js';
import type { WhatIfReport } from './commands/what-if.js';
import { fields, table } from './format.js';

/** Human renderings of the library results; `-o json` prints the results themselves. */
export const renderStatus = (s: StatusSummary): string =>
  fields([
    ['revision', s.revision],
    ['events', s.events],
    ['last event', s.lastEventAt],
    [
      'nodes',
      Object.entries(s.nodes)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || '0',
    ],
    ['subnets', s.subnets],
    ['pre-bind', s.preBind ? `${s.preBind.min}..${s.preBind.max} (${s.poolPolicy})` : undefined],
    ['IPs bound', s.bound],
    ['IPs allocated', s.allocated],
    ['IPs free', s.free],
    ['exclusive pods', s.exclusivePods],
    ['claims', s.claims],
    ['cloud intents pending', s.pendingIntents],
    ['pods waiting', s.waitingPods],
  ]);

export const renderNodes = (nodes: readonly NodePoolView[]): string =>
  table(
    ['NODE', 'STATUS', 'ZONE', 'ENIS', 'BOUND', 'ALLOCATED', 'FREE', 'EXCLUSIVE', 'CAPACITY'],
    nodes.map((n) => [
      n.node,
      n.status,
      n.zone,
      n.enis.length,
      n.counts.bound,
      n.counts.allocated,
      n.counts.free,
      n.counts.exclusivePods,
      n.resources['tke.cloud.tencent.com/eni-ip'].capacity,
    ]),
  );

export const renderNode = (n: NodePoolView, v: ClusterView): string =>
  `${renderNodes([n])}\n${table(
    ['ENI', 'SUBNET', 'STATE', 'IP', 'STATUS', 'POD', 'RESERVED FOR'],
    n.enis.flatMap((e) =>
      e.ips.length === 0
        ? [[e.eniId, e.subnetId, e.state, e.primaryIp, 'primary', e.assignedTo, undefined]]
        : e.ips.map((i) => [e.eniId, e.subnetId, e.state, i.ip, i.status, i.pod, i.reservedFor]),
    ),
  )}${
    (v.intents[n.node] ?? []).length
      ? `\npending intents:\n${table(
          ['INTENT', 'OP', 'ENI', 'IPS'],
          (v.intents[n.node] ?? []).map((i) => [i.intentId, i.op, i.eniId ?? i.subnetId, i.ips?.join(',')]),
        )}`
      : ''
  }${
    (v.refusals[n.node] ?? []).length
      ? `\nwaiting pods:\n${table(
          ['CONTAINER', 'CODE', 'REASON'],
          (v.refusals[n.node] ?? []).map((r) => [r.containerId, r.code, r.reason]),
        )}`
      : ''
  }`;

export const renderState = (v: ClusterView): string =>
  `${fields([
    ['revision', v.revision],
    ['last event', v.lastEventAt],
  ])}\n${renderNodes(v.nodes)}\n${table(
    ['NODE', 'ENI', 'STATE', 'IP', 'STATUS', 'POD'],
    v.nodes.flatMap((n) => n.enis.flatMap((e) => e.ips.map((i) => [n.node, e.eniId, e.state, i.ip, i.status, i.pod]))),
  )}\n${table(
    ['SUBNET', 'CIDR', 'ZONE', 'FREE', 'BOUND', 'RESERVED', 'CLAIMS'],
    v.subnets.map((s) => [s.subnetId, s.cidr, s.zone, s.free, s.bound, s.reserved, s.claims]),
  )}${
    Object.keys(v.claims).length
      ? `\n${table(
          ['CLAIM', 'IP', 'STATE', 'POLICY', 'SUBNET'],
          Object.entries(v.claims).map(([k, c]) => [k, c.ip, c.state, c.policy, c.subnetId]),
        )}`
      : ''
  }`;

export const renderIpHistory = (h: IpHistory): string =>
  `${table(
    ['IP', 'POD', 'NODE', 'ENI', 'CONTAINER', 'FROM', 'TO'],
    h.holders.map((s) => [h.ip, s.pod, s.node, s.eniId, s.containerId, s.from, s.to ?? 'now']),
  )}\n${table(
    ['IP', 'BOUND TO', 'NODE', 'FROM', 'TO'],
    h.bindings.map((b) => [h.ip, b.eniId, b.node, b.from, b.to ?? 'now']),
  )}`;

export const renderPodHistory = (h: PodHistory): string =>
  table(
    ['POD', 'IP', 'ENI', 'NODE', 'CONTAINER', 'FROM', 'TO'],
    h.holdings.map((s) => [h.pod, s.ip, s.eniId, s.node, s.containerId, s.from, s.to ?? 'now']),
  );

export const renderEniHistory = (h: EniHistory): string =>
  table(
    ['ENI', 'AT', 'EVENT', 'NODE', 'DETAIL'],
    h.life.map((x) => [h.eniId, x.at, x.type, x.node, x.detail]),
  );

export const renderVerify = (r: VerifyReport): string => {
  const head = `replayed ${r.events} events up to revision ${r.revision}; checked invariants 1, 2, 3, 7${r.checked.snapshot ? ', 5 (snapshot)' : ''}${r.checked.live ? ', 5 (ipamd live projection)' : ''}${r.checked.cloud ? ', 4 (cloud)' : ''}\n`;
  if (r.findings.length === 0) return `${head}OK: no violations, no differences\n`;
  return `${head}${table(
    ['INVARIANT', 'SUBJECT', 'FINDING'],
    r.findings.map((f) => [f.invariant, f.subject, f.message]),
  )}${r.findings.length} finding(s)\n`;
};

export const renderWhatIf = (r: WhatIfReport): string =>
  `${r.pods} pods replayed\n${table(
    ['', 'PRE-BIND', 'CLOUD CALLS', 'PEAK BOUND IPS', 'PODS WAITED'],
    [
      [
        'recorded',
        r.recordedPreBind ? `${r.recordedPreBind.min}..${r.recordedPreBind.max}` : '-',
        r.recorded.cloudCalls,
        r.recorded.peakBound,
        r.recorded.podsWaited,
      ],
      [
        'what-if',
        `${r.preBind.min}..${r.preBind.max}`,
        r.replayed.cloudCalls,
        r.replayed.peakBound,
        r.replayed.podsWaited,
      ],
    ],
  )}`;

export const renderEvents = (events: readonly LoggedEvent[]): string =>
  table(
    ['REVISION', 'AT', 'STREAM', 'SEQ', 'TYPE', 'BY'],
    events.map((e) => [e.revision, e.at, e.stream, e.seq, e.type, `${e.by.replica}/${e.by.term}`]),
  );
