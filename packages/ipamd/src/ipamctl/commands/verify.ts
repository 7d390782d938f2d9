import {
  checkInvariants,
  type Eni,
  type NodeState,
  type Projection,
  project,
  type Snapshot,
  type Tag,
  type VpcApi,
} from '@eni-ipam/core';
import { type Difference, diffJson } from './diff.js';
import type { LoggedEvent } from './load.js';

/** The projection snapshot ipamd and `ipamctl snapshot` save: every stream folded. */
export const PROJECTION_SNAPSHOT = 'projection';

/** A finding of `verify`, one line each in the human output. */
export interface Finding {
  /** DESIGN section 6 item: 1, 2, 3, 7 (invariants), 4 (cloud vs log), 5 (replay vs live). */
  invariant: number;
  subject: string;
  message: string;
}

export interface VerifyInput {
  events: readonly LoggedEvent[];
  /** The live projection saved in the store (`loadSnapshot(PROJECTION_SNAPSHOT)`), if any. */
  snapshot?: Snapshot<Projection>;
  /** The projection a running ipamd serves (`GET /v1/projection`, with `--ipamd`), if asked. */
  live?: Snapshot<Projection>;
  /** The cloud and the tag that marks this cluster's ENIs (`eni-ipam/cluster=<id>`). */
  cloud?: { api: VpcApi; clusterTag: Tag };
}

export interface VerifyReport {
  events: number;
  revision: number;
  checked: { invariants: true; snapshot: boolean; cloud: boolean; live?: boolean };
  findings: Finding[];
}

/**
 * `ipamctl verify`: replays the whole history, checks invariants 1, 2, 3 and 7 on the result,
 * compares the replay with the live projection snapshot (5) and the log with the cloud (4).
 * Every finding is listed; none means the log is sound.
 */
export const verify = async (input: VerifyInput): Promise<VerifyReport> => {
  const p = project(input.events);
  const findings: Finding[] = checkInvariants({
    nodes: Object.values(p.nodes),
    subnets: Object.values(p.subnets),
  }).map((v) => ({ invariant: v.invariant, subject: v.subject, message: v.message }));
  if (input.snapshot) findings.push(...compareSnapshot(input.events, input.snapshot));
  // ipamd's live projection at its applied revision: the same comparison as the snapshot's
  if (input.live) findings.push(...compareSnapshot(input.events, input.live));
  if (input.cloud) {
    const enis = await input.cloud.api.describeEnis({ tags: [input.cloud.clusterTag] });
    findings.push(...compareCloud(Object.values(p.nodes), enis));
  }
  return {
    events: input.events.length,
    revision: p.revision,
    checked: {
      invariants: true,
      snapshot: input.snapshot !== undefined,
      cloud: input.cloud !== undefined,
      ...(input.live ? { live: true } : {}),
    },
    findings,
  };
};

/** Invariant 5: the replay up to the snapshot's revision equals the snapshot's state. */
export const compareSnapshot = (events: readonly LoggedEvent[], snap: Snapshot<Projection>): Finding[] => {
  const replay = project(events.filter((e) => e.revision <= snap.revision));
  const { revision: _r, ...expected } = replay;
  const { revision: _s, ...actual } = snap.state;
  return diffJson(expected, actual).map((d: Difference) => ({
    invariant: 5,
    subject: `snapshot/${snap.name}@${snap.revision}`,
    message: `${d.path}: replay has ${JSON.stringify(d.expected)}, snapshot has ${JSON.stringify(d.actual)}`,
  }));
};

/**
 * Invariant 4: every ENI and secondary IP the cloud shows for this cluster is in the log's
 * state, and the reverse. Work in flight (an ENI being created or deleted, an address being
 * bound or unbound) may legitimately differ for a moment, so those are not findings.
 */
export const compareCloud = (nodes: readonly NodeState[], cloud: readonly Eni[]): Finding[] => {
  const out: Finding[] = [];
  const f = (subject: string, message: string) => out.push({ invariant: 4, subject, message });
  const logEnis = new Map(nodes.flatMap((n) => Object.values(n.enis).map((e) => [e.eniId, { n, e }] as const)));
  const creating = nodes.some((n) => Object.values(n.intents).some((i) => i.op === 'create'));
  const cloudById = new Map(cloud.map((e) => [e.eniId, e]));
  for (const c of cloud) {
    const l = logEnis.get(c.eniId);
    if (!l) {
      if (!creating) f(`eni/${c.eniId}`, `${c.eniId} is in the cloud (${c.subnetId}) but not in the log: leaked`);
      continue;
    }
    if (l.e.state === 'attached' && c.instanceId !== l.n.instanceId)
      f(
        `eni/${c.eniId}`,
        `${c.eniId} is attached to ${l.n.instanceId} in the log, to ${c.instanceId ?? 'nothing'} in the cloud`,
      );
    const logIps = l.e.ips;
    for (const ip of c.secondaryIps) {
      if (!logIps[ip]) f(`ip/${ip}`, `${ip} is bound to ${c.eniId} in the cloud but not in the log: leaked`);
    }
    const cloudIps = new Set(c.secondaryIps);
    for (const ip of Object.values(logIps)) {
      if (ip.status === 'bound' && !cloudIps.has(ip.ip))
        f(`ip/${ip.ip}`, `${ip.ip} is bound to ${c.eniId} in the log but not in the cloud`);
    }
  }
  for (const [id, { n, e }] of logEnis) {
    if (!cloudById.has(id) && e.state !== 'deleting')
      f(`eni/${id}`, `${id} of ${n.node} is in the log (${e.state}) but not in the cloud`);
  }
  return out;
};
