import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodedEvent } from '../events/decode.js';
import { freeUnclaimed, heldBy } from '../subnet/state.js';
import { Sim } from '../testing/sim.js';
import { podKey } from '../values/pod.js';
import { AUDIT_EVENT_TYPES, type AuditIndex, applyAudit, auditIndex, emptyAuditIndex, type HoldSpan } from './audit.js';
import { compactProjection } from './compact.js';
import {
  applyEvent,
  applyEvents,
  applyEventsOwned,
  emptyProjection,
  notOwned,
  type Projection,
  project,
} from './projection.js';

/**
 * The reference: the audit index as its doc defines it, folded the plain way (scan for the last
 * open span of the owner, copy lists on append). Slow on hot keys, obviously right.
 */
const reference = (events: Iterable<DecodedEvent>, start: AuditIndex = emptyAuditIndex()): AuditIndex => {
  let idx: AuditIndex = structuredClone(start);
  const add = <T>(r: Record<string, T[]>, k: string, v: T): Record<string, T[]> => ({
    ...r,
    [k]: [...(r[k] ?? []), v],
  });
  const end = <T extends { to?: string }>(
    r: Record<string, T[]>,
    k: string,
    match: (x: T) => boolean,
    patch: Partial<T>,
  ): Record<string, T[]> => {
    const list = r[k] ?? [];
    const i = list.findLastIndex((x) => x.to === undefined && match(x));
    return i < 0 ? r : { ...r, [k]: list.map((x, j) => (j === i ? { ...x, ...patch } : x)) };
  };
  for (const e of events) {
    if (!e.stream.startsWith('node/')) continue;
    const node = e.stream.slice(5);
    const step = (detail?: string) => ({ at: e.at, type: e.type, node, eventId: e.id, ...(detail ? { detail } : {}) });
    switch (e.type) {
      case 'IpAllocated':
      case 'EniAssigned': {
        const d = e.data;
        const span: HoldSpan = {
          pod: podKey(d.pod),
          ...(d.pod.uid ? { podUid: d.pod.uid } : {}),
          node,
          containerId: d.containerId,
          eniId: d.eniId,
          ...(e.type === 'IpAllocated' ? { ip: e.data.ip } : {}),
          from: e.at,
          fromEvent: e.id,
        };
        if (e.type === 'IpAllocated') idx = { ...idx, ipHolders: add(idx.ipHolders, e.data.ip, span) };
        idx = { ...idx, podHoldings: add(idx.podHoldings, span.pod, span) };
        break;
      }
      case 'IpReleased':
      case 'EniReturned': {
        const d = e.data;
        const m = (x: HoldSpan) => x.node === node && x.containerId === d.containerId;
        const patch = { to: e.at, toEvent: e.id };
        if (e.type === 'IpReleased') idx = { ...idx, ipHolders: end(idx.ipHolders, e.data.ip, m, patch) };
        idx = { ...idx, podHoldings: end(idx.podHoldings, podKey(d.pod), m, patch) };
        break;
      }
      case 'IpsBound':
        for (const ip of e.data.ips)
          idx = { ...idx, ipBindings: add(idx.ipBindings, ip, { node, eniId: e.data.eniId, from: e.at }) };
        break;
      case 'IpsUnbound':
        for (const ip of e.data.ips)
          idx = { ...idx, ipBindings: end(idx.ipBindings, ip, (x) => x.eniId === e.data.eniId, { to: e.at }) };
        break;
      case 'EniCreateRequested':
        idx = { ...idx, pendingCreates: { ...idx.pendingCreates, [e.data.intentId]: step(e.data.why) } };
        break;
      case 'EniCreated': {
        const { [e.data.intentId]: req, ...rest } = idx.pendingCreates;
        const life = req ? add(idx.eniLife, e.data.eniId, req) : idx.eniLife;
        idx = {
          ...idx,
          pendingCreates: rest,
          eniLife: add(life, e.data.eniId, step(`primary ${e.data.primaryIp} in ${e.data.subnetId}`)),
        };
        break;
      }
      case 'EniOperationFailed': {
        const d = e.data;
        if (d.eniId)
          idx = { ...idx, eniLife: add(idx.eniLife, d.eniId, step(`${d.operation}: ${d.errorCode} ${d.message}`)) };
        else {
          const { [d.intentId]: _, ...rest } = idx.pendingCreates;
          idx = { ...idx, pendingCreates: rest };
        }
        break;
      }
      case 'EniAttachRequested':
      case 'EniDetachRequested':
      case 'EniDeleteRequested':
        idx = { ...idx, eniLife: add(idx.eniLife, e.data.eniId, step(e.data.why)) };
        break;
      case 'EniAttached':
      case 'EniDetached':
      case 'EniDeleted':
        idx = { ...idx, eniLife: add(idx.eniLife, e.data.eniId, step()) };
        break;
      default:
        break;
    }
  }
  return idx;
};

const SUBNETS = [
  { id: 'subnet-aaaa0001', cidr: '10.0.1.0/28' },
  { id: 'subnet-bbbb0002', cidr: '10.0.2.0/29' },
];
const NODES = ['node-a', 'node-b'];

type Step =
  | { k: 'alloc' | 'assign'; node: number; pod: number; uid: boolean; again: boolean }
  | { k: 'release' | 'return'; pick: number }
  | { k: 'eni'; node: number; op: 'create' | 'bind' | 'unbind' | 'attach' | 'detach' | 'delete'; pick: number }
  | { k: 'outcome'; node: number; pick: number; ok: boolean }
  | { k: 'grow'; node: number }
  | { k: 'tick'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    k: fc.constantFrom('alloc' as const, 'assign' as const),
    node: fc.nat(1),
    pod: fc.nat(3), // few names: the same pod key comes back (StatefulSet pods), hot keys
    uid: fc.boolean(),
    again: fc.boolean(),
  }),
  fc.record({ k: fc.constantFrom('release' as const, 'return' as const), pick: fc.nat(20) }),
  fc.record({
    k: fc.constant('eni' as const),
    node: fc.nat(1),
    op: fc.constantFrom(
      'create' as const,
      'bind' as const,
      'unbind' as const,
      'attach' as const,
      'detach' as const,
      'delete' as const,
    ),
    pick: fc.nat(10),
  }),
  fc.record({ k: fc.constant('outcome' as const), node: fc.nat(1), pick: fc.nat(5), ok: fc.boolean() }),
  fc.record({ k: fc.constant('grow' as const), node: fc.nat(1) }),
  fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1000, max: 600_000 }) }),
);

/** The cloud's answer to one intent; returns the new ENI's id for a successful create. */
const resolve = (sim: Sim, node: string, intentId: string, ok: boolean): string | undefined => {
  const i = sim.nodes[node]?.intents[intentId];
  if (!i) return undefined;
  const fail = { type: 'RecordEniOperationFailed', intentId, errorCode: 'CloudPermanent', message: 'no' };
  const primaryIp = i.op === 'create' && ok ? sim.cloudPrimaryIp(i.subnetId as string) : undefined;
  let c: Record<string, unknown>;
  let created: string | undefined;
  if (i.op === 'create') {
    const eniId = sim.nextEniId();
    c = primaryIp ? { type: 'RecordEniCreated', intentId, eniId, primaryIp, mac: sim.macFor(eniId) } : fail;
    if (primaryIp) created = eniId;
  } else if (i.op === 'bind') c = ok ? { type: 'RecordIpsBound', intentId } : { ...fail, type: 'RecordIpBindFailed' };
  else if (i.op === 'unbind')
    c = ok ? { type: 'RecordIpsUnbound', intentId } : { ...fail, type: 'RecordIpUnbindFailed' };
  else {
    const done = { attach: 'RecordEniAttached', detach: 'RecordEniDetached', delete: 'RecordEniDeleted' }[i.op];
    c = ok ? { type: done, intentId } : fail;
  }
  return sim.node(node, c) ? created : undefined;
};

/** Random commands through core's Sim (refused ones append nothing): its log is the input. */
const run = (steps: Step[]): DecodedEvent[] => {
  const sim = new Sim(
    SUBNETS,
    NODES.map((name) => ({ name, limits: { maxEnis: 3, ipsPerEni: 4 } })),
    {},
  );
  const held: { node: string; containerId: string; eni: boolean }[] = [];
  let cid = 0;
  for (const s of steps) {
    if (s.k === 'alloc' || s.k === 'assign') {
      cid += 1;
      const node = NODES[s.node] as string;
      const containerId = s.again ? `k${cid % 4}` : `k${cid}`; // a sandbox added again after its DEL
      const pod = { namespace: 'default', name: `p${s.pod}`, ...(s.uid ? { uid: `u${cid}` } : {}) };
      const type = s.k === 'alloc' ? 'AllocateIp' : 'AssignEni';
      if (sim.node(node, { type, pod, containerId })) held.push({ node, containerId, eni: s.k === 'assign' });
    } else if (s.k === 'release' || s.k === 'return') {
      const h = held.splice(s.pick % Math.max(1, held.length), 1)[0];
      if (h) sim.node(h.node, { type: h.eni ? 'ReturnEni' : 'ReleaseIp', containerId: h.containerId, why: 'DEL' });
    } else if (s.k === 'eni') {
      const node = NODES[s.node] as string;
      const enis = Object.values(sim.nodes[node]?.enis ?? {}).sort((a, b) => (a.eniId < b.eniId ? -1 : 1));
      const eni = enis[s.pick % Math.max(1, enis.length)];
      const why = 'prop';
      if (s.op === 'create') sim.node(node, { type: 'RequestEniCreate', subnetId: SUBNETS[s.pick % 2]?.id, why });
      else if (eni) {
        const ips = Object.keys(eni.ips).sort().slice(0, 2);
        const byOp = {
          bind: { type: 'BindIps', eniId: eni.eniId, count: 1 + (s.pick % 3), why },
          unbind: { type: 'RequestIpUnbind', eniId: eni.eniId, ips: ips.length ? ips : ['10.0.1.2'], why },
          attach: { type: 'RequestEniAttach', eniId: eni.eniId, why },
          detach: { type: 'RequestEniDetach', eniId: eni.eniId, why },
          delete: { type: 'RequestEniDelete', eniId: eni.eniId, why },
        };
        sim.node(node, byOp[s.op]);
      }
    } else if (s.k === 'outcome') {
      const node = NODES[s.node] as string;
      const intents = Object.keys(sim.nodes[node]?.intents ?? {}).sort();
      const i = intents[s.pick % Math.max(1, intents.length)];
      if (i) resolve(sim, node, i, s.ok);
    } else if (s.k === 'grow') {
      // the happy path in one step (random steps alone rarely chain create, attach and bind)
      const node = NODES[s.node] as string;
      let eniId: string | undefined;
      for (const op of ['create', 'attach', 'bind'] as const) {
        const before = new Set(Object.keys(sim.nodes[node]?.intents ?? {}));
        const why = 'grow';
        const c =
          op === 'create'
            ? { type: 'RequestEniCreate', subnetId: SUBNETS[s.node]?.id, why }
            : op === 'attach'
              ? { type: 'RequestEniAttach', eniId, why }
              : { type: 'BindIps', eniId, count: 3, why };
        if (!sim.node(node, c)) break;
        const intent = Object.keys(sim.nodes[node]?.intents ?? {}).find((x) => !before.has(x));
        if (!intent) break;
        eniId = resolve(sim, node, intent, true) ?? eniId;
      }
    } else if (s.k === 'tick') sim.now += s.ms;
  }
  return sim.log;
};

/**
 * Repeated and dropped events (an event recorded twice, a filtered or damaged log): the
 * index must still match the reference, so that both agree on which open span a release closes
 * when an owner has several.
 */
const perturb = (log: DecodedEvent[], edits: { at: number; dup: boolean }[]): DecodedEvent[] => {
  const out = [...log];
  for (const { at, dup } of edits) {
    if (out.length === 0) break;
    const i = at % out.length;
    // copies under new ids (as if recorded again), so that closing a span twice would show
    const e = out[i] as DecodedEvent;
    if (dup) out.splice(i + 1, 0, ...Array.from({ length: 1 + (at % 3) }, (_, n) => ({ ...e, id: `${e.id}~${n}` })));
    else out.splice(i, 1);
  }
  return out;
};

describe('audit index (fast-check, against a plain reference fold)', () => {
  const scenario = fc.record({
    steps: fc.array(step, { minLength: 5, maxLength: 120 }),
    edits: fc.array(fc.record({ at: fc.nat(), dup: fc.boolean() }), { maxLength: 12 }),
    cut: fc.nat(),
  });

  it('equals the reference on the whole log, on any suffix, and when resumed from a plain index', () => {
    fc.assert(
      fc.property(scenario, ({ steps, edits, cut }) => {
        const log = perturb(run(steps), edits);
        expect(auditIndex(log)).toEqual(reference(log));
        // a suffix: releases and unbinds whose start is not in the log (archive, filters) change nothing
        const at = cut % (log.length + 1);
        const tail = log.slice(at);
        expect(auditIndex(tail)).toEqual(reference(tail));
        // resumed from an index built elsewhere (a plain value, as JSON would give it back)
        const head = JSON.parse(JSON.stringify(reference(log.slice(0, at)))) as AuditIndex;
        const resumed = tail.reduce(applyAudit, head);
        expect(resumed).toEqual(reference(log));
      }),
      { numRuns: 300 },
    );
  });

  it('AUDIT_EVENT_TYPES lists every type the fold uses: folding only those gives the same index', () => {
    fc.assert(
      fc.property(scenario, ({ steps, edits }) => {
        const log = perturb(run(steps), edits);
        expect(auditIndex(log.filter((e) => AUDIT_EVENT_TYPES.has(e.type)))).toEqual(auditIndex(log));
        // and none of them is idle: a log of the other types leaves the index empty
        expect(auditIndex(log.filter((e) => !AUDIT_EVENT_TYPES.has(e.type)))).toEqual(emptyAuditIndex());
      }),
      { numRuns: 100 },
    );
  });

  it('holds are long enough to matter: the generated logs exercise allocations, releases and ENI life', () => {
    const log = run(
      fc.sample(fc.array(step, { minLength: 200, maxLength: 200 }), { numRuns: 1, seed: 42 })[0] as Step[],
    );
    const types = new Set(log.map((e) => e.type));
    for (const t of ['EniCreated', 'IpsBound', 'IpAllocated', 'IpReleased']) expect(types, t).toContain(t);
  });

  it('a hot address: every hold closed by its own release, in order, however long the list', () => {
    // given one address taken and given back 12 times, with a stray release and a repeated
    // allocation (same container twice) along the way
    const ev = (i: number, type: string, containerId: string): DecodedEvent =>
      ({
        id: `e${i}`,
        stream: 'node/n1',
        seq: i,
        type,
        v: 1,
        at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        by: { replica: 'r', term: 1 },
        cause: {},
        revision: i,
        data: {
          pod: { namespace: 'default', name: 'web-0' },
          containerId,
          ip: '10.0.1.5',
          eniId: 'eni-00000001',
          why: 'w',
        },
      }) as unknown as DecodedEvent;
    const log: DecodedEvent[] = [ev(0, 'IpReleased', 'stray')];
    for (let k = 0; k < 12; k++) {
      log.push(ev(log.length, 'IpAllocated', `k${k}`));
      if (k === 6) log.push(ev(log.length, 'IpAllocated', `k${k}`));
      log.push(ev(log.length, 'IpReleased', `k${k}`));
    }
    log.push(ev(log.length, 'IpAllocated', 'last'));
    // when indexed
    const idx = auditIndex(log);
    // then it matches the reference, and only the last hold (and the repeated one's first) stay open
    expect(idx).toEqual(reference(log));
    const spans = idx.ipHolders['10.0.1.5'] ?? [];
    expect(spans).toHaveLength(14);
    expect(spans.filter((x) => x.to === undefined).map((x) => [x.containerId, x.fromEvent])).toEqual([
      ['k6', 'e13'],
      ['last', 'e26'],
    ]);
    expect(spans.find((x) => x.containerId === 'k11')?.toEvent).toBe('e25');
  });
});

describe('projection batch fold (fast-check, on the same random logs)', () => {
  it('applyEvents in batches equals applyEvent one by one, and leaves the projection it starts from unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 5, maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (steps, cuts) => {
          const log = run(steps);
          const oneByOne = log.reduce(applyEvent, emptyProjection());
          // the log cut into batches at random places, each folded onto the previous result
          const at = [...new Set(cuts.map((c) => c % (log.length + 1)))].sort((a, b) => a - b);
          let p = emptyProjection();
          let from = 0;
          for (const to of [...at, log.length]) {
            const before = structuredClone(p);
            const next = applyEvents(p, log.slice(from, to));
            expect(p).toEqual(before); // the input projection is a value: never changed
            p = next;
            from = to;
          }
          expect(p).toEqual(oneByOne);
          expect(project(log)).toEqual(oneByOne);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** The subnets' counts (cached per address map) equal those of a fresh copy of each map. */
const countsAgree = (p: Projection): void => {
  for (const s of Object.values(p.subnets)) {
    const fresh = { ...s, addresses: { ...s.addresses } };
    expect(freeUnclaimed(s)).toBe(freeUnclaimed(fresh));
    for (const n of Object.keys(p.nodes)) expect(heldBy(s, n)).toBe(heldBy(fresh, n));
  }
};

describe('projection batch fold that owns its maps (fast-check, on the same random logs)', () => {
  it('keeping `owned` from batch to batch gives the same projection; one handed out after forgetting it never changes', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 5, maxLength: 120 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 8 }),
        (steps, cuts) => {
          const log = run(steps);
          const oneByOne = log.reduce(applyEvent, emptyProjection());
          // cut into batches; after some of them the projection is handed out (what the host's
          // stableProjection does: forget what it owns), and each one handed out must stay as it was
          const at = new Map(cuts.map(([c, share]) => [c % (log.length + 1), share]));
          const ends = [...at.keys()].sort((a, b) => a - b);
          let owned = notOwned();
          let p = emptyProjection();
          let from = 0;
          const handedOut: { p: Projection; json: string }[] = [];
          let copies = 0;
          for (const to of [...ends, log.length]) {
            const before = { nodes: p.nodes, subnets: p.subnets };
            countsAgree(p); // reads (and caches) the counts of the maps the next batch changes in place
            p = applyEventsOwned(p, log.slice(from, to), owned);
            if (p.nodes !== before.nodes) copies++;
            from = to;
            if (at.get(to)) {
              owned = notOwned();
              handedOut.push({ p, json: JSON.stringify(p) });
            }
          }
          expect(p).toEqual(oneByOne);
          countsAgree(p);
          for (const h of handedOut) expect(JSON.stringify(h.p)).toBe(h.json);
          // the node map is copied at most once per hand-out, plus the first time
          expect(copies).toBeLessThanOrEqual(handedOut.length + 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a projection it did not make (a snapshot) is copied before it changes, never changed in place', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 120 }), fc.nat(), (steps, cut) => {
        const log = run(steps);
        const at = cut % (log.length + 1);
        const loaded = JSON.parse(JSON.stringify(applyEvents(emptyProjection(), log.slice(0, at)))) as Projection;
        const json = JSON.stringify(loaded);
        const owned = notOwned();
        let p = applyEventsOwned(loaded, log.slice(at, at + 3), owned);
        p = applyEventsOwned(p, log.slice(at + 3), owned);
        expect(JSON.stringify(loaded)).toBe(json);
        expect(p).toEqual(log.reduce(applyEvent, emptyProjection()));
      }),
      { numRuns: 200 },
    );
  });
});

describe('compactProjection (fast-check, on the same random logs)', () => {
  it('a snapshot parsed from JSON, compacted, equals the live projection and folds on to the same one', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 120 }), fc.nat(), (steps, cut) => {
        const log = run(steps);
        const at = cut % (log.length + 1);
        const live = applyEvents(emptyProjection(), log.slice(0, at));
        const parsed = JSON.parse(JSON.stringify(live)) as Projection;
        const before = structuredClone(parsed);
        const compact = compactProjection(parsed);
        expect(parsed).toEqual(before); // the input is not changed
        expect(JSON.stringify(compact)).toBe(JSON.stringify(live));
        expect(applyEvents(compact, log.slice(at))).toEqual(log.reduce(applyEvent, emptyProjection()));
        // keyed maps are dictionaries, as withKey makes them
        for (const n of Object.values(compact.nodes)) {
          expect(Object.getPrototypeOf(n.allocations)).toBeNull();
          for (const e of Object.values(n.enis)) expect(Object.getPrototypeOf(e.ips)).toBeNull();
        }
        for (const s of Object.values(compact.subnets)) expect(Object.getPrototypeOf(s.addresses)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
