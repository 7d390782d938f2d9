import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Real etcd members for integration tests: Debian's `/usr/bin/etcd` (3.4) on 127.0.0.1 with
 * random free ports and data under /dev/shm. Every member runs under `setpriv --pdeathsig KILL`,
 * so it dies with the test process even if that is killed; an exit hook kills members and removes
 * data dirs on any normal or failing exit. Call `cleanup()` in `afterAll` all the same.
 *
 * @example
 *   const etcd = await startEtcd();            // one member
 *   const cluster = await startEtcdCluster(3); // three; cluster.members[i].kill() / restart()
 *   afterAll(() => cluster.cleanup());
 */
export interface EtcdMemberOptions {
  /** `--quota-backend-bytes`; etcd's default (0) means 2 GiB. */
  quotaBackendBytes?: number;
  /** Extra flags, e.g. `['--experimental-watch-progress-notify-interval', '1s']`. */
  extraArgs?: readonly string[];
  /** Serve clients over TLS (https endpoints); with `clientCertAuth`, demand client certificates. */
  tls?: { certFile: string; keyFile: string; caFile: string; clientCertAuth?: boolean };
}

const ETCD = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const live = new Set<EtcdMember>();
const dirs = new Set<string>();
let hooked = false;

const hookExit = (): void => {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const m of live) m.proc?.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
};

/** A free loopback port (bound then released; etcd binds it right after). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

export class EtcdMember {
  proc: ChildProcess | undefined;
  private stderrTail = '';
  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    private readonly initialCluster: string,
    private readonly token: string,
    private readonly options: EtcdMemberOptions,
  ) {}

  get endpoint(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }
  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts (or restarts, with the same data dir) the member; does not wait for health. */
  start(): void {
    if (this.running) return;
    const args = [
      '--pdeathsig',
      'KILL',
      '--',
      ETCD,
      '--name',
      this.name,
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.endpoint,
      '--advertise-client-urls',
      this.endpoint,
      '--listen-peer-urls',
      this.peerUrl,
      '--initial-advertise-peer-urls',
      this.peerUrl,
      '--initial-cluster',
      this.initialCluster,
      '--initial-cluster-token',
      this.token,
      '--initial-cluster-state',
      'new',
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '500',
      '--logger',
      'zap',
      '--log-level',
      'error',
      '--log-outputs',
      'stderr',
      ...(this.options.quotaBackendBytes ? ['--quota-backend-bytes', String(this.options.quotaBackendBytes)] : []),
      ...(this.options.tls
        ? [
            '--cert-file',
            this.options.tls.certFile,
            '--key-file',
            this.options.tls.keyFile,
            '--trusted-ca-file',
            this.options.tls.caFile,
            ...(this.options.tls.clientCertAuth ? ['--client-cert-auth'] : []),
          ]
        : []),
      ...(this.options.extraArgs ?? []),
    ];
    const proc = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString()).slice(-4000);
    });
    this.proc = proc;
    live.add(this);
  }

  /** SIGKILL: the member dies without a goodbye (data dir kept for `restart`). */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }
  /** SIGTERM, graceful. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }
  /** SIGSTOP: the member freezes (a partition-like stall); `cont()` resumes it. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }
  cont(): void {
    this.proc?.kill('SIGCONT');
  }
  async restart(): Promise<void> {
    await this.kill();
    this.start();
    await this.waitHealthy();
  }

  private async signalAndWait(sig: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    p.kill('SIGCONT');
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
    live.delete(this);
  }

  /** Raft status of this member through the JSON gateway: its id and the leader it sees. */
  async status(): Promise<{ memberId: string; leader: string; revision: number; dbSize: number }> {
    const res = await fetch(`${this.endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}' });
    const j = (await res.json()) as { header: { member_id: string; revision: string }; leader: string; dbSize: string };
    return {
      memberId: j.header.member_id,
      leader: j.leader,
      revision: Number(j.header.revision),
      dbSize: Number(j.dbSize),
    };
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`etcd ${this.name} exited: ${this.stderrTail}`);
      try {
        if (this.options.tls) {
          // TLS members: the process is up and the port accepts connections (the TLS tests then
          // talk gRPC with their certificates)
          if (await portOpen(this.clientPort)) return;
        } else {
          const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
          const j = (await res.json()) as { health?: string };
          if (j.health === 'true') return;
        }
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(`etcd ${this.name} not healthy after ${timeoutMs} ms: ${this.stderrTail}`);
  }
}

export class EtcdCluster {
  constructor(
    readonly members: readonly EtcdMember[],
    private readonly dataRoot: string,
  ) {}

  /** Client URLs of every member, for `hosts`. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  member(i: number): EtcdMember {
    const m = this.members[i];
    if (!m) throw new RangeError(`no member ${i}`);
    return m;
  }

  /** Index of the current raft leader (asks the running members). */
  async leaderIndex(timeoutMs = 15_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      for (const m of this.members.filter((x) => x.running)) {
        try {
          const s = await m.status();
          const ids = await Promise.all(
            this.members.map((x) =>
              x.running
                ? x.status().then(
                    (y) => y.memberId,
                    () => '',
                  )
                : '',
            ),
          );
          const i = ids.indexOf(s.leader);
          if (s.leader !== '0' && i >= 0) return i;
        } catch {
          // member busy; ask another
        }
      }
      await sleep(100);
    }
    throw new Error('no etcd leader');
  }

  async waitHealthy(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.running).map((m) => m.waitHealthy()));
  }

  /** Kills every member and removes the data dirs. Safe to call twice. */
  async cleanup(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    rmSync(this.dataRoot, { recursive: true, force: true });
    dirs.delete(this.dataRoot);
  }
}

const DIR_PREFIX = 'eni-ipam-etcd-';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes data dirs left by test processes that died without running exit hooks (SIGKILL):
 * each dir is named after its owner's pid. Their etcd members died with them (pdeathsig).
 */
export const sweepStaleEtcdDirs = (base: string): string[] => {
  const removed: string[] = [];
  for (const name of readdirSync(base)) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(base, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
};

/** Starts an n-member cluster on loopback and waits until every member is healthy. */
export const startEtcdCluster = async (size = 3, options: EtcdMemberOptions = {}): Promise<EtcdCluster> => {
  if (!existsSync(ETCD)) throw new Error(`${ETCD} is missing: run scripts/install-system-deps.sh`);
  hookExit();
  const base = existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
  sweepStaleEtcdDirs(base);
  const root = mkdtempSync(join(base, `${DIR_PREFIX}${process.pid}-`));
  dirs.add(root);
  const suffix = root.slice(-6).replace(/[^a-zA-Z0-9]/g, 'x');
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}-${suffix}`);
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i + 1]}`).join(',');
  const members = names.map(
    (n, i) =>
      new EtcdMember(
        n,
        ports[2 * i] as number,
        ports[2 * i + 1] as number,
        join(root, n),
        initial,
        `tok-${suffix}`,
        options,
      ),
  );
  const cluster = new EtcdCluster(members, root);
  try {
    for (const m of members) m.start();
    await cluster.waitHealthy();
    return cluster;
  } catch (e) {
    await cluster.cleanup();
    throw e;
  }
};

/** One member (a cluster of one). */
export const startEtcd = (options: EtcdMemberOptions = {}): Promise<EtcdCluster> => startEtcdCluster(1, options);
