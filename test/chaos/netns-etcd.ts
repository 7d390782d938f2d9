/**
 * A 3-member etcd cluster whose members each run in their own network namespace, joined by veths
 * to a bridge in a namespace of its own; a veth from the host namespace into the bridge namespace
 * gives the host (ipamd replicas, the driver, ipamctl) a connected route to the members. Only
 * private addresses 10.250.Z.0/24 inside namespaces this module created are used.
 *
 *   host  ch<sfx> 10.250.Z.1 ─── vh ┐
 *                                   br0 (ns chb-<sfx>) ─ vb1 ─── eth0 10.250.Z.11 (ns chm1-<sfx>)
 *                                       ├ vb2 ─── eth0 10.250.Z.12 …
 *
 * A partition sets the member's bridge-side veth down (it loses both its peers and the clients);
 * healing sets it up again. Members run under `setpriv --pdeathsig KILL`, so they die with the
 * driver; `teardown()` (also run from an exit hook) kills them and deletes every namespace.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ETCD = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export class NsEtcdMember {
  proc: ChildProcess | undefined;
  partitioned = false;
  stderrTail = '';
  constructor(
    readonly index: number,
    readonly name: string,
    readonly netns: string,
    readonly address: string,
    readonly dataDir: string,
    private readonly initialCluster: string,
    private readonly token: string,
  ) {}

  get endpoint(): string {
    return `http://${this.address}:2379`;
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    const peer = `http://${this.address}:2380`;
    const args = [
      ...['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', this.netns, ETCD],
      ...['--name', this.name, '--data-dir', this.dataDir],
      ...['--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint],
      ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
      ...['--initial-cluster', this.initialCluster, '--initial-cluster-token', this.token],
      ...['--initial-cluster-state', 'new', '--heartbeat-interval', '100', '--election-timeout', '1000'],
      ...['--logger', 'zap', '--log-level', 'error', '--log-outputs', 'stderr'],
    ];
    const proc = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString()).slice(-4000);
    });
    this.proc = proc;
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  async status(): Promise<{ memberId: string; leader: string }> {
    const res = await fetch(`${this.endpoint}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    const j = (await res.json()) as { header: { member_id: string }; leader: string };
    return { memberId: j.header.member_id, leader: j.leader };
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      return ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }
}

export interface NsEtcdCluster {
  members: NsEtcdMember[];
  endpoints: string[];
  /** Index of the raft leader as the reachable members see it, or undefined. */
  leaderIndex(): Promise<number | undefined>;
  partition(i: number): void;
  heal(i: number): void;
  restart(i: number): Promise<void>;
  /** Every reachable member healthy (polls up to `timeoutMs`). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  teardown(): void;
}

export const requireRoot = (): void => {
  if (process.getuid?.() !== 0) throw new Error('chaos needs root: it creates network namespaces, veths and a bridge');
  if (!existsSync(ETCD)) throw new Error(`${ETCD} is missing: run scripts/install-system-deps.sh`);
};

/** Creates the namespaces and links and starts 3 members; `teardown` undoes everything. */
export const startNsEtcdCluster = async (size = 3): Promise<NsEtcdCluster> => {
  requireRoot();
  const sfx = randomBytes(3).toString('hex').slice(0, 5);
  let z = 1 + ((randomBytes(1)[0] as number) % 250);
  const used = ip('-4', 'addr');
  while (used.includes(`10.250.${z}.`)) z = 1 + ((z + 1) % 250);
  const net = `10.250.${z}`;
  const bridgeNs = `chb-${sfx}`;
  const memberNs = Array.from({ length: size }, (_, i) => `chm${i + 1}-${sfx}`);
  const hostLink = `ch${sfx}`;
  const base = existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
  const root = mkdtempSync(join(base, `eni-ipam-chaos-${process.pid}-`));
  const members: NsEtcdMember[] = [];

  let tornDown = false;
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    for (const m of members) m.proc?.kill('SIGKILL');
    for (const ns of [...memberNs, bridgeNs]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not created
      }
    }
    try {
      ip('link', 'del', hostLink);
    } catch {
      // gone with its peer's namespace
    }
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', teardown);

  try {
    ip('netns', 'add', bridgeNs);
    ip('-n', bridgeNs, 'link', 'set', 'lo', 'up');
    ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', bridgeNs, 'link', 'set', 'br0', 'up');
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'vh', 'netns', bridgeNs);
    ip('-n', bridgeNs, 'link', 'set', 'vh', 'master', 'br0', 'up');
    ip('addr', 'add', `${net}.1/24`, 'dev', hostLink);
    ip('link', 'set', hostLink, 'up');
    memberNs.forEach((ns, i) => {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', bridgeNs, 'link', 'add', `vb${i + 1}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', bridgeNs, 'link', 'set', `vb${i + 1}`, 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${net}.${11 + i}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    });
    const names = memberNs.map((_, i) => `c${i + 1}-${sfx}`);
    const initial = names.map((n, i) => `${n}=http://${net}.${11 + i}:2380`).join(',');
    names.forEach((n, i) => {
      members.push(
        new NsEtcdMember(i, n, memberNs[i] as string, `${net}.${11 + i}`, join(root, n), initial, `tok-${sfx}`),
      );
    });
  } catch (e) {
    teardown();
    throw e;
  }

  const waitHealthy = async (timeoutMs = 60_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const up = members.filter((m) => !m.partitioned);
      const ok = await Promise.all(up.map((m) => m.healthy()));
      if (ok.every(Boolean)) return;
      for (const m of up) if (!m.running) throw new Error(`etcd ${m.name} exited: ${m.stderrTail}`);
      if (Date.now() > until) throw new Error(`etcd members not healthy after ${timeoutMs} ms`);
      await sleep(200);
    }
  };

  const cluster: NsEtcdCluster = {
    members,
    endpoints: members.map((m) => m.endpoint),
    async leaderIndex() {
      const reachable = members.filter((m) => m.running && !m.partitioned);
      const ids = await Promise.all(reachable.map((m) => m.status().catch(() => undefined)));
      const leaderId = ids.find((s) => s && s.leader !== '0')?.leader;
      const i = ids.findIndex((s) => s?.memberId === leaderId);
      return i >= 0 ? reachable[i]?.index : undefined;
    },
    partition(i) {
      ip('-n', bridgeNs, 'link', 'set', `vb${i + 1}`, 'down');
      (members[i] as NsEtcdMember).partitioned = true;
    },
    heal(i) {
      ip('-n', bridgeNs, 'link', 'set', `vb${i + 1}`, 'up');
      (members[i] as NsEtcdMember).partitioned = false;
    },
    async restart(i) {
      const m = members[i] as NsEtcdMember;
      await m.kill();
      m.start();
      await waitHealthy();
    },
    waitHealthy,
    teardown,
  };
  try {
    for (const m of members) m.start();
    await waitHealthy();
  } catch (e) {
    teardown();
    throw e;
  }
  return cluster;
};
