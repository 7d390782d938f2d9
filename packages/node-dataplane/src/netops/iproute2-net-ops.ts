import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { type Link, type NetChange, type NetOps, NetOpsError, type Route, type Rule, renderChange } from './net-ops.js';

export interface Iproute2Options {
  /** Absolute path of `ip` (containerd's CNI env may have no PATH). Default `/usr/sbin/ip`. */
  ip?: string;
  /** Absolute path of `nsenter`. Default `/usr/bin/nsenter`. */
  nsenter?: string;
  /** Absolute path of `sysctl`, used only with `hostNetns`. Default `/usr/sbin/sysctl`. */
  sysctl?: string;
  /**
   * The node's namespace when the agent runs outside it (tests, nested set-ups): every host-side
   * operation is then done through `nsenter --net=hostNetns`. Default: the agent's own namespace.
   */
  hostNetns?: string;
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  address?: string;
  flags?: string[];
  ifalias?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/**
 * NetOps on iproute2 6.x. Reads use `ip -j`; writes go through one `ip -batch -` per call, so a
 * pod's whole host side is one process spawn (about 2 ms) instead of one per change. Other
 * namespaces are entered with `nsenter --net=PATH` (Node has no setns(2), and a native setns
 * would only move one thread of this multi-threaded process).
 */
export class Iproute2NetOps implements NetOps {
  private readonly ip: string;
  private readonly nsenter: string;
  private readonly sysctl: string;
  private readonly hostNetns: string | undefined;

  constructor(opts: Iproute2Options = {}) {
    this.ip = opts.ip ?? '/usr/sbin/ip';
    this.nsenter = opts.nsenter ?? '/usr/bin/nsenter';
    this.sysctl = opts.sysctl ?? '/usr/sbin/sysctl';
    this.hostNetns = opts.hostNetns;
  }

  async links(netns?: string): Promise<Link[]> {
    const out = JSON.parse(await this.run(['-j', '-d', 'addr', 'show'], netns)) as IpAddrJson[];
    return out.map((l) => ({
      index: l.ifindex,
      name: l.ifname,
      mac: (l.address ?? '').toLowerCase(),
      up: (l.flags ?? []).includes('UP'),
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
      ...(l.ifalias ? { alias: l.ifalias } : {}),
      addrs: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    }));
  }

  async rules(): Promise<Rule[]> {
    const out = JSON.parse(await this.run(['-4', '-j', 'rule', 'show'])) as Record<string, unknown>[];
    return out.map((r) => ({ priority: Number(r.priority), src: String(r.src ?? 'all'), table: String(r.table) }));
  }

  async routes(table: number | 'main' | 'all', netns?: string): Promise<Route[]> {
    const out = JSON.parse(
      await this.run(['-4', '-j', 'route', 'show', 'table', String(table), 'type', 'unicast'], netns),
    ) as Record<string, unknown>[];
    return out.map((r) => ({
      dst: String(r.dst),
      ...(r.gateway ? { gateway: String(r.gateway) } : {}),
      ...(r.dev ? { dev: String(r.dev) } : {}),
      table: String(r.table ?? (table === 'all' ? 'main' : table)),
      ...(r.protocol ? { protocol: String(r.protocol) } : {}),
    }));
  }

  async apply(changes: readonly NetChange[], netns?: string): Promise<void> {
    if (changes.length === 0) return;
    const lines = changes.map((c) => renderChange(c).join(' '));
    await this.run(['-batch', '-'], netns ?? this.hostNetns, `${lines.join('\n')}\n`);
  }

  async setSysctl(key: string, value: string): Promise<void> {
    if (!/^[a-z0-9_.-]+$/i.test(key)) throw new NetOpsError(`bad sysctl key ${key}`);
    if (!this.hostNetns) return writeFile(`/proc/sys/${key.replaceAll('.', '/')}`, value);
    // /proc/sys/net follows the opener's netns, so the write must happen inside the node's.
    await this.exec(this.nsenter, [`--net=${this.hostNetns}`, this.sysctl, '-q', '-w', `${key}=${value}`], 'sysctl');
  }

  private run(args: string[], netns = this.hostNetns, stdin?: string): Promise<string> {
    const [cmd, argv] = this.command(args, netns);
    return this.exec(cmd, argv, `ip ${args.join(' ')}${netns ? ` in ${netns}` : ''}`, stdin);
  }

  /**
   * A named namespace (`/var/run/netns/NAME`, what containerd and `ip netns` create) is entered
   * by `ip -n NAME` itself, one exec instead of two; any other path (`/proc/PID/ns/net`) goes
   * through nsenter.
   */
  private command(args: string[], netns: string | undefined): [string, string[]] {
    if (!netns) return [this.ip, args];
    const named = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(netns)?.[1];
    if (named) return [this.ip, ['-n', named, ...args]];
    return [this.nsenter, [`--net=${netns}`, this.ip, ...args]];
  }

  private exec(cmd: string, argv: string[], what: string, stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new NetOpsError(`${cmd}: ${e.message}`)));
      child.on('close', (code) => {
        if (code === 0) return resolve(Buffer.concat(out).toString());
        const msg = Buffer.concat(err).toString().trim();
        // `ip -batch` reports "Command failed -:N" with the 1-based line number.
        const lineNo = /Command failed -:(\d+)/.exec(msg)?.[1];
        const line = lineNo && stdin ? stdin.split('\n')[Number(lineNo) - 1] : undefined;
        reject(new NetOpsError(`${what}: ${msg || `exit ${code}`}`, line));
      });
      if (child.stdin) {
        // A failing `ip -batch` may exit before reading everything; its exit code reports that.
        child.stdin.on('error', () => undefined);
        child.stdin.end(stdin);
      }
    });
  }
}
