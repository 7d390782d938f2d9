/**
 * The kubelet simulation: creates pods in the fake apiserver (scheduled onto a node), runs the
 * real CNI plugin for them (ADD, retried while the plugin says "try again later", as the kubelet
 * retries a failed sandbox), marks them Running with their address, and deletes them (DEL, then
 * the API object). Three kinds of pod, one per mode:
 * - `web-*`: a Deployment's pods, shared ENI (`tke-route-eni`);
 * - `db-N`: a StatefulSet's pods with claim policy Never (recreated under the same name);
 * - `edge-*`: exclusive-ENI pods (`tke-direct-eni`), a whole ENI each.
 */
import { randomBytes } from 'node:crypto';
import { type FakeApiServer, makePod, makeStatefulSet } from '../support/index.js';
import type { DemoNode, NodeAgents } from './node-agents.js';

export type PodKind = 'web' | 'db' | 'edge';
export const CLAIM_POLICY_ANNOTATION = 'tke.cloud.tencent.com/vpc-ip-claim-delete-policy';
const NS = 'default';

export interface SimPod {
  kind: PodKind;
  name: string;
  uid: string;
  containerId: string;
  node: DemoNode;
  state: 'pending' | 'running' | 'deleting';
  ip?: string;
}

export interface KubeletStats {
  adds: number;
  addRetries: number;
  dels: number;
  /** StatefulSet pods deleted and created again under the same name. */
  dbRestarts: number;
  /** Errors that are not "try again later" (they are retried too, and shown). */
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KubeletSim {
  readonly pods = new Map<string, SimPod>();
  /** Every pod address handed out (shared mode), with the pods that held it, in order. */
  readonly holders = new Map<string, string[]>();
  /** The addresses each StatefulSet pod name got, over its reschedules (a kept claim: one). */
  readonly claimed = new Map<string, Set<string>>();
  readonly stats: KubeletStats = { adds: 0, addRetries: 0, dels: 0, dbRestarts: 0, errors: [] };
  private stopped = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private rr = 0;

  constructor(
    private readonly kube: FakeApiServer,
    private readonly agents: NodeAgents,
    private readonly nodes: readonly DemoNode[],
  ) {
    kube.create('statefulsets', makeStatefulSet(NS, 'db', { annotations: { [CLAIM_POLICY_ANNOTATION]: 'Never' } }));
  }

  count(kind?: PodKind, state?: SimPod['state']): number {
    let n = 0;
    for (const p of this.pods.values()) if ((!kind || p.kind === kind) && (!state || p.state === state)) n++;
    return n;
  }

  /** Creates a pod and starts its sandbox (in the background; `settle()` waits for it). */
  create(kind: PodKind, name = `${kind}-${randomBytes(3).toString('hex')}`, node?: DemoNode): void {
    if (this.stopped || this.pods.has(name)) return;
    const pool = this.nodesFor(kind);
    const target = node ?? pool[this.rr++ % pool.length];
    if (!target) return;
    const pod = makePod(NS, name, {
      node: target.name,
      eni: kind === 'edge' ? 'direct' : 'shared',
      labels: { app: kind },
      ...(kind === 'db' ? { ownerStatefulSet: 'db', annotations: { [CLAIM_POLICY_ANNOTATION]: 'Never' } } : {}),
    });
    const created = this.kube.create('pods', pod) as { metadata?: { uid?: string } };
    const sim: SimPod = {
      kind,
      name,
      uid: created.metadata?.uid ?? randomBytes(8).toString('hex'),
      containerId: `ctr-${randomBytes(8).toString('hex')}`,
      node: target,
      state: 'pending',
    };
    this.pods.set(name, sim);
    this.track(this.startSandbox(sim));
  }

  /**
   * Nodes a pod of this kind is scheduled on. As in TKE, a node runs either shared-ENI pods or
   * direct-ENI pods: ipamd plans a node's pool in one mode (exclusive once it hands out whole
   * ENIs), so the last node takes the exclusive pods and the others the shared and static ones.
   */
  private nodesFor(kind: PodKind): readonly DemoNode[] {
    if (this.nodes.length < 2) return this.nodes;
    return kind === 'edge' ? this.nodes.slice(-1) : this.nodes.slice(0, -1);
  }

  /**
   * Deletes a running pod: CNI DEL, then the API object. With `recreate`, the pod comes back
   * under the same name on a node of the same zone (a StatefulSet pod rescheduled).
   */
  delete(name: string, recreate = false): void {
    const p = this.pods.get(name);
    if (!p || p.state !== 'running' || this.stopped) return;
    p.state = 'deleting';
    this.track(
      this.teardown(p).then(() => {
        if (!recreate || this.stopped) return;
        this.stats.dbRestarts++;
        const sameZone = this.nodesFor(p.kind).filter((n) => n.zone === p.node.zone);
        this.create(p.kind, p.name, sameZone[Math.floor(Math.random() * sameZone.length)]);
      }),
    );
  }

  /** A random running pod of that kind. */
  pick(kind: PodKind): SimPod | undefined {
    const running = [...this.pods.values()].filter((p) => p.kind === kind && p.state === 'running');
    return running[Math.floor(Math.random() * running.length)];
  }

  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Stops issuing work and waits for what is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settle();
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private call(p: SimPod, command: 'ADD' | 'DEL') {
    return this.agents.cni(p.node.name, {
      command,
      containerId: p.containerId,
      pod: { namespace: NS, name: p.name, uid: p.uid },
      exclusive: p.kind === 'edge',
    });
  }

  private async startSandbox(p: SimPod): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const r = await this.call(p, 'ADD');
      if (r.ok) {
        this.stats.adds++;
        p.state = 'running';
        if (r.ip) {
          p.ip = r.ip;
          if (p.kind !== 'edge') this.holders.set(r.ip, [...(this.holders.get(r.ip) ?? []), `${NS}/${p.name}`]);
          if (p.kind === 'db') this.claimed.set(p.name, (this.claimed.get(p.name) ?? new Set()).add(r.ip));
          const cur = this.kube.get<{ status?: object }>('pods', p.name, NS);
          const status = { ...cur.status, phase: 'Running', podIP: r.ip, podIPs: [{ ip: r.ip }] };
          this.kube.updateStatus('pods', { ...cur, status });
        }
        return;
      }
      this.stats.addRetries++;
      if (r.code !== 11 && this.stats.errors.length < 20) this.stats.errors.push(`${p.name}: CNI ${r.code} ${r.msg}`);
      await sleep(Math.min(2_000, 250 * (attempt + 1)));
    }
    // stopped before the sandbox came up: the runtime tears the half-made sandbox down
    await this.call(p, 'DEL');
    this.remove(p);
  }

  private async teardown(p: SimPod): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.call(p, 'DEL');
      if (r.ok) break;
      if (attempt > 40) {
        this.stats.errors.push(`${p.name}: DEL failed: ${r.msg}`);
        break;
      }
      await sleep(500);
    }
    this.stats.dels++;
    this.remove(p);
  }

  private remove(p: SimPod): void {
    this.pods.delete(p.name);
    try {
      this.kube.delete('pods', p.name, NS);
    } catch {
      // already gone
    }
  }
}
