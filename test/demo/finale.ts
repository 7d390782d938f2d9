/**
 * The end of the demo: the real `ipamctl` against the demo's etcd (verify, the history of one
 * address that passed between pods, what-if for another pre-bind setting), and the demo's own
 * cross-checks of what the pods got against what ipamd holds.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import type { KubeletSim } from './kubelet.js';

export interface CliRun {
  argv: string[];
  code: number;
  out: string;
}

export const ipamctl = (repoRoot: string, cluster: Cluster, args: string[]): Promise<CliRun> =>
  new Promise((resolve) => {
    const argv = [...cluster.ipamctlArgs, ...args];
    const child = spawn(process.execPath, [join(repoRoot, 'packages', 'ipamd', 'bin', 'ipamctl.mjs'), ...argv], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const add = (b: Buffer) => {
      out += b.toString();
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    child.on('exit', (code) => resolve({ argv, code: code ?? 1, out }));
  });

/**
 * The address held in turn by the most different pods (at least two holdings), if any: the
 * history then shows it passing from pod to pod, not one StatefulSet pod getting it back.
 */
export const busiestAddress = (kubelet: KubeletSim): { ip: string; pods: string[] } | undefined => {
  let best: { ip: string; pods: string[]; score: number } | undefined;
  for (const [ip, pods] of kubelet.holders) {
    const score = new Set(pods).size * 1000 + pods.length;
    if (pods.length >= 2 && (!best || score > best.score)) best = { ip, pods, score };
  }
  return best && { ip: best.ip, pods: best.pods };
};

interface NodeDetail {
  allocations: { containerId: string; ip: string; pod: { namespace: string; name: string } }[];
}

/**
 * What the pods got agrees with ipamd: no address on two running pods, and each running pod's
 * address is ipamd's allocation for its container. Returns the problems found.
 */
export const crossCheck = async (cluster: Cluster, kubelet: KubeletSim): Promise<string[]> => {
  const problems: string[] = [];
  const byIp = new Map<string, string>();
  const allocations = new Map<string, string>();
  for (const n of cluster.nodes) {
    const res = await fetch(`${cluster.service.url}/v1/nodes/${n.name}`, {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
    });
    if (!res.ok) {
      problems.push(`GET /v1/nodes/${n.name}: ${res.status}`);
      continue;
    }
    for (const a of ((await res.json()) as NodeDetail).allocations) allocations.set(a.containerId, a.ip);
  }
  for (const p of kubelet.pods.values()) {
    if (p.state !== 'running') {
      problems.push(`pod ${p.name} is still ${p.state}`);
      continue;
    }
    if (!p.ip) {
      problems.push(`pod ${p.name} has no address`);
      continue;
    }
    const other = byIp.get(p.ip);
    if (other) problems.push(`address ${p.ip} is on two running pods: ${other} and ${p.name}`);
    byIp.set(p.ip, p.name);
    if (allocations.get(p.containerId) !== p.ip)
      problems.push(`pod ${p.name} has ${p.ip} but ipamd holds ${allocations.get(p.containerId) ?? 'nothing'} for it`);
  }
  return problems;
};
