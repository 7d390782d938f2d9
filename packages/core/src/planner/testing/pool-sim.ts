/**
 * A tiny simulated executor for planner property tests: it applies each plan's actions as
 * intents (in-flight states), then resolves them with scripted cloud outcomes, and checks the
 * limits and safety rules on every step. Violations throw, so fast-check shrinks them.
 */
import { secondaryIpsPerEni } from '../limits.js';
import { pickEniForExclusivePod, pickIpForPod } from '../order.js';
import type {
  PlanAction,
  PlannerEni,
  PlannerInput,
  PlannerIp,
  PoolMode,
  PoolPlan,
  PoolPolicy,
  PreBind,
} from '../types.js';

export type Outcome = 'ok' | 'fail' | 'later';

interface SimEni {
  id: string;
  subnetId: string;
  primary: boolean;
  state: PlannerEni['state'];
  ips: PlannerIp[];
  exclusivePod?: string;
}

export interface SimConfig {
  mode: PoolMode;
  /** Default `warm`. */
  poolPolicy?: PoolPolicy;
  limits: { maxEnis: number; ipsPerEni: number };
  preBind: PreBind;
  subnets: { subnetId: string; zone: string; freeIps: number }[];
  zone: string;
}

const fail = (msg: string): never => {
  throw new Error(`planner violation: ${msg}`);
};

export class PoolSim {
  now = Date.UTC(2026, 0, 1);
  pods = 0;
  lastReleaseAt: number | undefined;
  draining = false;
  readonly enis: SimEni[] = [{ id: 'eni-eth0', subnetId: 'subnet-host', primary: true, state: 'attached', ips: [] }];
  private readonly free: Map<string, number>;
  private seq = 0;
  private podSeq = 0;

  constructor(
    readonly config: SimConfig,
    private readonly outcomes: () => Outcome,
  ) {
    this.free = new Map(config.subnets.map((s) => [s.subnetId, s.freeIps]));
  }

  input(): PlannerInput {
    return {
      now: this.now,
      mode: this.config.mode,
      poolPolicy: this.config.poolPolicy ?? 'warm',
      draining: this.draining,
      limits: this.config.limits,
      preBind: this.config.preBind,
      releaseIntervalMs: 120_000,
      ...(this.lastReleaseAt === undefined ? {} : { lastReleaseAt: this.lastReleaseAt }),
      pods: this.pods,
      enis: this.enis.map((e) => ({ ...e, ips: e.ips.map((i) => ({ ...i })) })),
      subnets: this.config.subnets.map((s) => ({ ...s, freeIps: this.free.get(s.subnetId) ?? 0 })),
      zone: this.config.zone,
    };
  }

  inFlight(): boolean {
    return this.enis.some(
      (e) =>
        e.state === 'creating' ||
        e.state === 'attaching' ||
        e.state === 'detaching' ||
        e.state === 'deleting' ||
        e.ips.some((i) => i.status !== 'bound'),
    );
  }

  /** Something else takes addresses from a subnet (another node, a claim). */
  fillSubnet(subnetId: string, n: number): void {
    this.free.set(subnetId, Math.max(0, (this.free.get(subnetId) ?? 0) - n));
  }

  freeIps(subnetId: string): number {
    return this.free.get(subnetId) ?? 0;
  }

  /** Pods come and go: a leaving pod's IP or ENI goes back to the pool; new pods take what is free. */
  setPods(n: number): void {
    this.pods = n;
    this.allocate();
  }

  allocate(): void {
    const held = this.held();
    for (let extra = held.length - this.pods; extra > 0; extra--) {
      const h = held.pop();
      if (h && 'ip' in h) h.allocated = false;
      else if (h) delete h.exclusivePod;
    }
    for (let want = this.pods - this.held().length; want > 0; want--) {
      const input = this.input();
      if (this.config.mode === 'shared') {
        const pick = pickIpForPod(input.enis);
        if (!pick) return;
        const ip = this.eni(pick.eniId).ips.find((i) => i.ip === pick.ip);
        if (!ip || ip.allocated || ip.status !== 'bound') fail(`pickIpForPod gave a taken IP ${pick.ip}`);
        else ip.allocated = true;
      } else {
        const pick = pickEniForExclusivePod(input.enis);
        if (!pick) return;
        this.eni(pick.id).exclusivePod = `pod-${++this.podSeq}`;
      }
    }
  }

  private held(): (PlannerIp | SimEni)[] {
    return this.config.mode === 'shared'
      ? this.enis.flatMap((e) => e.ips.filter((i) => i.allocated))
      : this.enis.filter((e) => e.exclusivePod !== undefined);
  }

  private eni(id: string): SimEni {
    return this.enis.find((e) => e.id === id) ?? fail(`action on unknown ENI ${id}`);
  }

  /** Checks a plan against the rules, then records its actions as intents. */
  apply(plan: PoolPlan): void {
    const creates = plan.actions.filter((a) => a.kind === 'createEni').length;
    if (creates > 1) fail(`${creates} ENI creations in one plan`);
    if (creates > 0 && this.enis.some((e) => e.state === 'creating')) fail('ENI creation while one is in flight');
    this.checkPacing(plan);
    if (plan.slowReleaseAt !== undefined) this.lastReleaseAt = plan.slowReleaseAt;
    if (this.draining || this.config.poolPolicy === 'on-demand') {
      const grow = plan.actions.find((a) => a.kind === 'bindIps' || (this.draining && a.kind === 'createEni'));
      if (grow) fail(`${grow.kind} while ${this.draining ? 'draining' : 'on-demand'}`);
    }
    for (const action of plan.actions) {
      if (action.why.trim() === '') fail(`action ${action.kind} without a why`);
      this.intent(action);
    }
    this.checkLimits();
  }

  /** Below max bindable, releases are slow: one IP (shared) or ENI (exclusive) per interval, only above pods + max. */
  private checkPacing(plan: PoolPlan): void {
    const f = plan.figures;
    if (f.bound > f.maxBindable || this.draining) return;
    const released = plan.actions.reduce(
      (n, a) =>
        n +
        (a.kind === 'unbindIps' ? a.ips.length : a.kind === 'detachEni' && this.config.mode === 'exclusive' ? 1 : 0),
      0,
    );
    if (released === 0) return;
    if (released > 1) fail(`${released} released at once below max bindable`);
    if (f.bound <= f.high) fail(`release with ${f.bound} bound <= pods + max ${f.high}`);
    if (this.lastReleaseAt !== undefined && this.now < this.lastReleaseAt + 120_000) fail('slow release not due');
    if (plan.slowReleaseAt !== this.now) fail('slow release not recorded');
    const paced = plan.actions.filter((a) => (a.kind === 'unbindIps' || a.kind === 'detachEni') && a.paced);
    if (paced.length !== 1) fail(`${paced.length} actions marked as the paced release, expected 1`);
  }

  private intent(a: PlanAction): void {
    const perEni = secondaryIpsPerEni(this.config.limits);
    if (a.kind === 'createEni') {
      const s = this.config.subnets.find((x) => x.subnetId === a.subnetId) ?? fail(`unknown subnet ${a.subnetId}`);
      if (s.zone !== this.config.zone) fail(`ENI planned in ${s.subnetId} outside the node's zone`);
      this.enis.push({ id: `eni-${++this.seq}`, subnetId: a.subnetId, primary: false, state: 'creating', ips: [] });
      return;
    }
    const eni = this.eni(a.eniId);
    if (eni.primary) fail(`action ${a.kind} on the primary ENI`);
    switch (a.kind) {
      case 'bindIps': {
        if (this.config.mode !== 'shared') fail('bindIps in exclusive mode');
        if (eni.state !== 'attached') fail(`bind on ${eni.state} ENI`);
        if (eni.ips.length + a.count > perEni) fail(`bind ${a.count} exceeds ${perEni} IPs on ${eni.id}`);
        if (a.count > this.freeIps(eni.subnetId))
          fail(`bind ${a.count} > ${this.freeIps(eni.subnetId)} free in subnet`);
        const take = Math.min(a.count, this.freeIps(eni.subnetId));
        this.fillSubnet(eni.subnetId, take);
        for (let i = 0; i < take; i++)
          eni.ips.push({ ip: `10.9.${++this.seq}.1`, status: 'binding', allocated: false });
        return;
      }
      case 'unbindIps':
        for (const ip of a.ips) {
          const found = eni.ips.find((i) => i.ip === ip) ?? fail(`unbind of unknown IP ${ip}`);
          if (found.allocated) fail(`unbind of allocated IP ${ip}`);
          if (found.status !== 'bound') fail(`unbind of ${found.status} IP ${ip}`);
          found.status = 'unbinding';
        }
        return;
      case 'attachEni':
        if (eni.state !== 'detached') fail(`attach of ${eni.state} ENI`);
        eni.state = 'attaching';
        return;
      case 'detachEni':
        if (eni.state !== 'attached') fail(`detach of ${eni.state} ENI`);
        if (eni.exclusivePod !== undefined || eni.ips.length > 0) fail(`detach of ENI ${eni.id} in use`);
        eni.state = 'detaching';
        return;
      case 'deleteEni':
        if (eni.state !== 'detached') fail(`delete of ${eni.state} ENI`);
        if (eni.exclusivePod !== undefined || eni.ips.some((i) => i.allocated)) fail(`delete of ENI ${eni.id} in use`);
        eni.state = 'deleting';
        return;
    }
  }

  /** Resolves in-flight work with the scripted outcomes ('later' leaves it in flight). */
  settle(): void {
    for (const eni of [...this.enis]) {
      for (const ip of [...eni.ips]) {
        if (ip.status === 'bound') continue;
        const o = this.outcomes();
        if (o === 'later') continue;
        if (ip.status === 'binding') {
          if (o === 'ok') ip.status = 'bound';
          else this.dropIp(eni, ip);
        } else if (o === 'ok') this.dropIp(eni, ip);
        else ip.status = 'bound';
      }
      if (eni.primary || eni.state === 'attached' || eni.state === 'detached') continue;
      const o = this.outcomes();
      if (o === 'later') continue;
      if (eni.state === 'creating') {
        if (o === 'ok' && this.freeIps(eni.subnetId) > 0) {
          this.fillSubnet(eni.subnetId, 1);
          eni.state = 'detached';
        } else this.enis.splice(this.enis.indexOf(eni), 1);
      } else if (eni.state === 'attaching') eni.state = o === 'ok' ? 'attached' : 'detached';
      else if (eni.state === 'detaching') eni.state = o === 'ok' ? 'detached' : 'attached';
      else if (o === 'ok') {
        this.free.set(eni.subnetId, this.freeIps(eni.subnetId) + 1 + eni.ips.length);
        this.enis.splice(this.enis.indexOf(eni), 1);
      } else eni.state = 'detached';
    }
    this.checkLimits();
    this.allocate();
  }

  private dropIp(eni: SimEni, ip: PlannerIp): void {
    eni.ips.splice(eni.ips.indexOf(ip), 1);
    this.free.set(eni.subnetId, this.freeIps(eni.subnetId) + 1);
  }

  private checkLimits(): void {
    const perEni = secondaryIpsPerEni(this.config.limits);
    const onNode = this.enis.filter((e) => ['attaching', 'attached', 'detaching'].includes(e.state)).length;
    if (onNode > this.config.limits.maxEnis) fail(`${onNode} ENIs on the node > max ${this.config.limits.maxEnis}`);
    for (const e of this.enis) if (e.ips.length > perEni) fail(`${e.ips.length} IPs on ${e.id} > ${perEni}`);
  }
}
