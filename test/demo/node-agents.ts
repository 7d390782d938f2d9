/**
 * One eni-agent per simulated node (the real `Agent`: feed follower, host convergence, CNI
 * socket), and the real CNI plugin (the C shim, built here from source) that the kubelet
 * simulation execs for ADD and DEL, as containerd would.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, HttpIpamdClient } from '@eni-ipam/node-dataplane';
import { PACKAGE_DIR } from '@eni-ipam/node-dataplane/testing';
import { pino } from 'pino';
import type { NetnsHost } from './netns.js';
import { SIM_NETNS_PREFIX, SimHostNetOps } from './sim-host.js';

export interface DemoNode {
  name: string;
  zone: string;
  instanceId: string;
  token: string;
}

export interface CniCall {
  command: 'ADD' | 'DEL';
  containerId: string;
  pod: { namespace: string; name: string; uid: string };
  exclusive: boolean;
}

export type CniAnswer = { ok: true; ip?: string } | { ok: false; code: number; msg: string };

const run = (file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(file, args, { env: opts.env ?? process.env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });

/** Builds the plugin from packages/node-dataplane/shim (both names) into `dir`. */
export const buildCniPlugin = async (dir: string): Promise<string> => {
  const r = await run('bash', [join(PACKAGE_DIR, 'shim', 'build-shim.sh'), dir]);
  if (r.code !== 0) throw new Error(`building the CNI plugin failed: ${r.stderr}`);
  return dir;
};

export class NodeAgents {
  /** IPAM-only: an in-process agent on an in-memory host; netns mode: an agent process (`agent` unset). */
  private readonly agents = new Map<string, { agent?: Agent; socket: string; net?: SimHostNetOps }>();

  constructor(
    private readonly o: {
      workDir: string;
      pluginDir: string;
      ipamdUrl: string;
      /** MACs of the ENIs the cloud shows attached to an instance. */
      attachedMacs: (instanceId: string) => readonly string[];
      /** Real namespaces: agent processes in node namespaces, a namespace per pod. */
      netns?: NetnsHost;
    },
  ) {}

  async start(node: DemoNode): Promise<void> {
    if (this.o.netns) {
      const socket = await this.o.netns.startAgent(node, this.o.ipamdUrl, this.o.workDir);
      this.agents.set(node.name, { socket });
      return;
    }
    const runDir = join(this.o.workDir, `${node.name}-run`);
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const socket = join(runDir, 'agent.sock');
    const selfNetns = `${SIM_NETNS_PREFIX}${node.name}`;
    const net = new SimHostNetOps(() => this.o.attachedMacs(node.instanceId), selfNetns);
    const agent = new Agent({
      socketPath: socket,
      ipamd: new HttpIpamdClient({ baseUrl: this.o.ipamdUrl, node: node.name, token: node.token, timeoutMs: 10_000 }),
      net,
      log: pino({ level: process.env.DEMO_DEBUG ? 'debug' : 'error', base: { node: node.name } }),
      netnsExists: (p) => p.startsWith(SIM_NETNS_PREFIX),
      selfNetns,
      startupWaitMs: 30_000,
      resyncMs: 5_000,
    });
    await agent.start();
    this.agents.set(node.name, { agent, socket, net });
  }

  /** Execs the plugin as the runtime does: CNI_* environment, the network config on stdin. */
  async cni(nodeName: string, call: CniCall): Promise<CniAnswer> {
    const a = this.agents.get(nodeName);
    if (!a) throw new Error(`no agent on ${nodeName}`);
    const type = call.exclusive ? 'tke-direct-eni' : 'tke-route-eni';
    const netns = this.o.netns
      ? await this.o.netns.podNetns(call.containerId)
      : `${SIM_NETNS_PREFIX}${call.containerId}`;
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'tke-vpc', type, agentSocket: a.socket });
    const p = call.pod;
    const r = await run(join(this.o.pluginDir, type), [], {
      input: conf,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CNI_COMMAND: call.command,
        CNI_CONTAINERID: call.containerId,
        CNI_NETNS: netns,
        CNI_IFNAME: 'eth0',
        CNI_PATH: this.o.pluginDir,
        CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${p.namespace};K8S_POD_NAME=${p.name};K8S_POD_UID=${p.uid}`,
      },
    });
    if (r.code === 0) {
      if (call.command === 'DEL') {
        a.net?.podNetnsGone(netns);
        await this.o.netns?.podGone(call.containerId);
      }
      const parsed = r.stdout.trim() ? (JSON.parse(r.stdout) as { ips?: { address: string }[] }) : {};
      const ip = parsed.ips?.[0]?.address.split('/')[0];
      return ip ? { ok: true, ip } : { ok: true };
    }
    try {
      const e = JSON.parse(r.stdout) as { code: number; msg: string; details?: string };
      return { ok: false, code: e.code, msg: e.details ? `${e.msg} (${e.details})` : e.msg };
    } catch {
      return { ok: false, code: r.code, msg: `${r.stdout}${r.stderr}`.trim() || `exit ${r.code}` };
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.agent?.stop().catch(() => undefined)));
    await this.o.netns?.stop();
    this.agents.clear();
  }
}
