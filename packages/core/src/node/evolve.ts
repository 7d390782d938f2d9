import type { NodeEvent } from '../events/node-events.js';
import { copyKeyed, withKey, withoutKey } from '../values/keyed.js';
import { podKey } from '../values/pod.js';
import {
  type EniLifecycle,
  fitsLimits,
  type NodeEni,
  type NodeIp,
  type NodeState,
  type PendingIntent,
} from './state.js';

/** A domain event as evolve takes it: the envelope's `at` rides along when folding the log. */
export type Timed<E> = E & { at?: string };

const withEni = (s: NodeState, eniId: string, f: (e: NodeEni) => NodeEni | undefined): NodeState => {
  const eni = s.enis[eniId];
  if (!eni) return s;
  const next = f(eni);
  return { ...s, enis: next ? withKey(s.enis, eniId, next) : withoutKey(s.enis, eniId) };
};

const setState =
  (state: EniLifecycle) =>
  (e: NodeEni): NodeEni => ({ ...e, state });

const withIps = (
  s: NodeState,
  eniId: string,
  ips: readonly string[],
  f: (ip: NodeIp | undefined, addr: string) => NodeIp | undefined,
): NodeState =>
  withEni(s, eniId, (e) => {
    const next = copyKeyed(e.ips);
    for (const ip of ips) {
      const v = f(next[ip], ip);
      if (v) next[ip] = v;
      else delete next[ip];
    }
    return { ...e, ips: next };
  });

const addIntent = (s: NodeState, i: PendingIntent): NodeState => ({ ...s, intents: withKey(s.intents, i.intentId, i) });
const resolve = (s: NodeState, intentId: string): NodeState => ({ ...s, intents: withoutKey(s.intents, intentId) });

const apply = (s: NodeState, e: Timed<NodeEvent>): NodeState => {
  switch (e.type) {
    case 'NodeRegistered':
      return {
        ...s,
        status: 'active',
        node: e.data.node,
        instanceId: e.data.instanceId,
        zone: e.data.zone,
        limits: e.data.limits,
      };
    case 'NodeLimitsChanged': {
      const before = s.graceLimits ?? s.limits;
      const grace = {
        maxEnis: Math.max(before.maxEnis, e.data.limits.maxEnis),
        ipsPerEni: Math.max(before.ipsPerEni, e.data.limits.ipsPerEni),
      };
      return { ...s, limits: e.data.limits, graceLimits: grace };
    }
    case 'NodeDrainStarted':
      return { ...s, status: 'draining' };
    case 'NodeRemoved':
      return { ...s, status: 'removed', refusals: {} };
    case 'EniCreateRequested':
      return addIntent(s, { intentId: e.data.intentId, op: 'create', subnetId: e.data.subnetId });
    case 'EniCreated': {
      const r = resolve(s, e.data.intentId);
      const { eniId, subnetId, primaryIp, mac } = e.data;
      return {
        ...r,
        enis: withKey<NodeEni>(r.enis, eniId, { eniId, subnetId, primaryIp, mac, state: 'detached', ips: {} }),
      };
    }
    case 'EniAttachRequested':
      return withEni(
        addIntent(s, { intentId: e.data.intentId, op: 'attach', eniId: e.data.eniId }),
        e.data.eniId,
        setState('attaching'),
      );
    case 'EniAttached':
      return withEni(resolve(s, e.data.intentId), e.data.eniId, (x) => {
        const next: NodeEni = { ...x, state: 'attached' };
        if (e.data.deviceIndex !== undefined) next.deviceIndex = e.data.deviceIndex;
        return next;
      });
    case 'EniDetachRequested':
      return withEni(
        {
          ...addIntent(s, { intentId: e.data.intentId, op: 'detach', eniId: e.data.eniId }),
          ...stamp(e.data.slowRelease ? e.at : undefined),
        },
        e.data.eniId,
        setState('detaching'),
      );
    case 'EniDetached':
      return withEni(resolve(s, e.data.intentId), e.data.eniId, setState('detached'));
    case 'EniDeleteRequested':
      return withEni(
        addIntent(s, { intentId: e.data.intentId, op: 'delete', eniId: e.data.eniId }),
        e.data.eniId,
        setState('deleting'),
      );
    case 'EniDeleted':
      return withEni(resolve(s, e.data.intentId), e.data.eniId, () => undefined);
    case 'EniOperationFailed': {
      const back: Record<string, EniLifecycle | undefined> = {
        create: undefined,
        attach: 'detached',
        detach: 'attached',
        delete: 'detached',
      };
      const to = back[e.data.operation];
      const r = resolve(s, e.data.intentId);
      return to && e.data.eniId ? withEni(r, e.data.eniId, setState(to)) : r;
    }
    case 'IpBindRequested': {
      const { intentId, eniId, subnetId, ips, forPod } = e.data;
      const intent: PendingIntent = { intentId, op: 'bind', eniId, subnetId, ips };
      if (forPod !== undefined) intent.forPod = forPod;
      return withIps(addIntent(s, intent), eniId, ips, (_, ip) =>
        forPod === undefined ? { ip, status: 'binding' } : { ip, status: 'binding', reservedFor: forPod },
      );
    }
    case 'IpsBound':
      return withIps(resolve(s, e.data.intentId), e.data.eniId, e.data.ips, (x) => x && { ...x, status: 'bound' });
    case 'IpBindFailed':
      return withIps(resolve(s, e.data.intentId), e.data.eniId, e.data.ips, () => undefined);
    case 'IpUnbindRequested':
      return withIps(
        {
          ...addIntent(s, { intentId: e.data.intentId, op: 'unbind', eniId: e.data.eniId, ips: e.data.ips }),
          ...stamp(e.data.slowRelease ? e.at : undefined),
        },
        e.data.eniId,
        e.data.ips,
        (x) => x && { ...x, status: 'unbinding' },
      );
    case 'IpsUnbound':
      return withIps(resolve(s, e.data.intentId), e.data.eniId, e.data.ips, () => undefined);
    case 'IpsLost':
      return withIps(s, e.data.eniId, e.data.ips, () => undefined);
    case 'IpUnbindFailed':
      return withIps(resolve(s, e.data.intentId), e.data.eniId, e.data.ips, (x) => x && { ...x, status: 'bound' });
    case 'IpAllocated': {
      const { containerId, pod, ip, eniId, claim } = e.data;
      const r: NodeState = {
        ...s,
        allocations: withKey(s.allocations, containerId, { containerId, pod, ip, eniId }),
        refusals: withoutKey(s.refusals, containerId),
      };
      return claim ? withIps(r, eniId, [ip], (x) => x && { ...x, reservedFor: podKey(pod) }) : r;
    }
    case 'IpReleased':
      return { ...s, allocations: withoutKey(s.allocations, e.data.containerId) };
    case 'AllocationRefused':
      return {
        ...s,
        refusals: withKey(s.refusals, e.data.containerId, { code: e.data.code, reason: e.data.reason }),
      };
    case 'EniAssigned': {
      const { containerId, pod, eniId } = e.data;
      return {
        ...s,
        assignments: withKey(s.assignments, containerId, { containerId, pod, eniId }),
        refusals: withoutKey(s.refusals, containerId),
      };
    }
    case 'EniReturned':
      return { ...s, assignments: withoutKey(s.assignments, e.data.containerId) };
    default: {
      const _exhaustive: never = e;
      return _exhaustive;
    }
  }
};

/** Only paced slow releases set `lastReleaseAt` (the planner's contract: trims are not paced). */
const stamp = (at: string | undefined): { lastReleaseAt?: string } => (at ? { lastReleaseAt: at } : {});

/** Applies one node event. Pure; the state's `version` counts the events applied. */
export const evolveNode = (s: NodeState, e: Timed<NodeEvent>): NodeState => {
  const next = apply(s, e);
  if (next.graceLimits && fitsLimits(next, next.limits)) {
    const { graceLimits: _g, ...rest } = next;
    return { ...rest, version: s.version + 1 };
  }
  return { ...next, version: s.version + 1 };
};
