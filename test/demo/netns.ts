/**
 * The demo's real dataplane, used when it runs as root with `ip netns`: the VPC simulator made
 * real in network namespaces (node-dataplane's SimTopology: a VPC bridge, one namespace per node,
 * each attached ENI a veth with the simulator's MAC), one eni-agent process per node namespace,
 * and one network namespace per pod, as a container runtime makes them. Pings between pods of
 * different nodes, and from the VPC to pods, prove the addresses work. Every namespace carries the
 * run's suffix and is deleted on the way out.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AgentProcess, SimTopology, sh } from '@eni-ipam/node-dataplane/testing';
import type { DemoNode } from './node-agents.js';

/** Why the demo cannot run with real namespaces, or undefined if it can. */
export const netnsUnavailable = (): string | undefined => {
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = `eni-demo-probe-${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error || add.status !== 0) return `"ip netns add" failed: ${(add.stderr || String(add.error)).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
};

export class NetnsHost {
  readonly topo: SimTopology;
  private readonly agents = new Map<string, AgentProcess>();
  /** Pod namespace by container id. */
  private readonly pods = new Map<string, string>();

  constructor(nodes: readonly DemoNode[]) {
    this.topo = new SimTopology({ nodes: Object.fromEntries(nodes.map((n, i) => [n.instanceId, `dn${i}`])) });
  }

  /** The run's namespace suffix (every namespace the demo makes ends with it). */
  get suffix(): string {
    return this.topo.sfx;
  }

  /** Starts the node's agent in its namespace; resolves once it serves CNI. */
  async startAgent(node: DemoNode, ipamdUrl: string, workDir: string): Promise<string> {
    const agent = new AgentProcess({
      node: node.name,
      netns: this.topo.nodeNs(node.instanceId),
      ipamdUrl,
      token: node.token,
      workDir,
    });
    this.agents.set(node.name, agent);
    await agent.start();
    return agent.socketPath;
  }

  /** The pod's namespace path, made on first use (the runtime makes it before CNI ADD). */
  async podNetns(containerId: string): Promise<string> {
    let ns = this.pods.get(containerId);
    if (!ns) {
      ns = await this.topo.addPodNs(`p${containerId.slice(-8)}`);
      this.pods.set(containerId, ns);
    }
    return this.topo.nsPath(ns);
  }

  /** After a successful DEL the runtime removes the sandbox's namespace. */
  async podGone(containerId: string): Promise<void> {
    const ns = this.pods.get(containerId);
    if (!ns) return;
    this.pods.delete(containerId);
    await sh('ip', ['netns', 'del', ns]);
  }

  /** The namespace name of a pod (for `ip netns exec`), if it has one. */
  nsOf(containerId: string): string | undefined {
    return this.pods.get(containerId);
  }

  /** One ping (`-c 1 -W 2`) from namespace `from` to `ip`; traffic stays inside the demo's namespaces. */
  ping(from: string, ip: string): Promise<boolean> {
    return this.topo.ping(from, ip);
  }

  /** Agents SIGKILLed (they hold no state of their own), then every namespace removed. */
  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.kill()));
    this.agents.clear();
    for (const ns of this.pods.values()) await sh('ip', ['netns', 'del', ns]);
    this.pods.clear();
    await this.topo.destroy();
  }
}

/** A running pod as the ping checks see it. */
export interface PingPod {
  name: string;
  kind: string;
  node: string;
  ip: string;
  ns: string;
}

/**
 * The ping checks: a shared pod to a shared pod on another node, an exclusive pod to a shared pod
 * on another node, and the VPC to a sample of pods. Each is one line (ok/FAIL) of the finale.
 */
export const pingChecks = async (
  host: NetnsHost,
  pods: readonly PingPod[],
): Promise<{ ok: boolean; what: string }[]> => {
  const checks: { ok: boolean; what: string }[] = [];
  const pair = async (from: PingPod | undefined, to: PingPod | undefined, label: string) => {
    if (!from || !to) {
      checks.push({ ok: false, what: `ping ${label}: no such pair of running pods` });
      return;
    }
    const ok = await host.ping(from.ns, to.ip);
    checks.push({
      ok,
      what: `ping ${label}: ${from.name} (${from.ip}, ${from.node}) -> ${to.name} (${to.ip}, ${to.node})`,
    });
  };
  const shared = pods.filter((p) => p.kind !== 'edge');
  const otherNode = (p: PingPod | undefined) => shared.find((q) => p && q.node !== p.node);
  const a = shared.find((p) => otherNode(p));
  if (a) await pair(a, otherNode(a), 'shared -> shared across nodes');
  // with two nodes, one runs the exclusive pods and the other every shared pod
  else await pair(shared[0], shared[1], 'shared -> shared (one node runs every shared pod)');
  const edge = pods.find((p) => p.kind === 'edge');
  await pair(edge, otherNode(edge), 'exclusive ENI -> shared across nodes');
  const sample = pods.slice(0, 6);
  const fails: string[] = [];
  for (const p of sample) if (!(await host.ping(host.topo.vpc, p.ip))) fails.push(`${p.name} (${p.ip})`);
  checks.push({
    ok: sample.length > 0 && fails.length === 0,
    what: fails.length
      ? `ping from the VPC: no answer from ${fails.join(', ')}`
      : `ping from the VPC: ${sample.length} of ${pods.length} running pods answer`,
  });
  return checks;
};
