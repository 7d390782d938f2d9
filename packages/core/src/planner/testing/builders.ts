/** Builders for planner tests: a node view with named, readable defaults. */
import type { PlannerEni, PlannerInput, PlannerIp, PlannerSubnet } from '../types.js';

export const ZONE = 'ap-guangzhou-3';
export const T0 = Date.UTC(2026, 0, 1);
export const INTERVAL = 120_000;

export const subnet = (subnetId: string, freeIps: number, zone = ZONE): PlannerSubnet => ({ subnetId, zone, freeIps });

export const primaryEni = (): PlannerEni => ({
  id: 'eni-eth0',
  subnetId: 'subnet-host',
  primary: true,
  state: 'attached',
  ips: [],
});

/** `n` bound IPs on ENI `id`, the first `allocated` of them held by pods. */
export const ips = (prefix: string, n: number, allocated = 0, status: PlannerIp['status'] = 'bound'): PlannerIp[] =>
  Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i + 1}`, status, allocated: i < allocated }));

export const eni = (id: string, over: Partial<PlannerEni> = {}): PlannerEni => ({
  id,
  subnetId: 'subnet-a',
  primary: false,
  state: 'attached',
  ips: [],
  ...over,
});

/** A shared warm node: 4 ENIs x 10 IPs (27 bindable), bounds 5..5, one roomy subnet in its zone. */
export const node = (over: Partial<PlannerInput> = {}): PlannerInput => ({
  now: T0,
  mode: 'shared',
  poolPolicy: 'warm',
  limits: { maxEnis: 4, ipsPerEni: 10 },
  preBind: { min: 5, max: 5 },
  releaseIntervalMs: INTERVAL,
  pods: 0,
  enis: [primaryEni()],
  subnets: [subnet('subnet-a', 100)],
  zone: ZONE,
  ...over,
});

/** A shared node with `bound` IPs spread over ENIs of 9 secondaries, `allocated` of them in use. */
export const sharedNode = (bound: number, allocated: number, over: Partial<PlannerInput> = {}): PlannerInput => {
  const enis: PlannerEni[] = [primaryEni()];
  for (let i = 0, left = bound, used = allocated; left > 0; i++) {
    const n = Math.min(9, left);
    const a = Math.min(n, used);
    enis.push(eni(`eni-${i + 1}`, { ips: ips(`10.0.${i + 1}`, n, a) }));
    left -= n;
    used -= a;
  }
  return node({ enis, ...over });
};
