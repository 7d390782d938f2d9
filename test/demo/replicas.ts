/**
 * The three ipamd replicas, each a real `packages/ipamd/bin/ipamd.mjs` process, and a loopback
 * "Service" in front of them (what a Kubernetes Service gives the agents in a cluster).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface ReplicaSpec {
  id: string;
  port: number;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export class IpamdProcess {
  child: ChildProcess | undefined;
  log = '';
  constructor(
    readonly spec: ReplicaSpec,
    private readonly repoRoot: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const bin = join(this.repoRoot, 'packages', 'ipamd', 'bin', 'ipamd.mjs');
    const args = [bin, ...this.spec.args];
    // setpriv --pdeathsig: the replica dies with the demo even if the demo itself is SIGKILLed.
    const pdeath = existsSync('/usr/bin/setpriv');
    const child = spawn(
      pdeath ? '/usr/bin/setpriv' : process.execPath,
      pdeath ? ['--pdeathsig', 'KILL', process.execPath, ...args] : args,
      { cwd: this.repoRoot, env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const logDir = process.env.DEMO_LOG_DIR; // keep each replica's log for a post-mortem
    const keep = (b: Buffer) => {
      if (logDir) appendFileSync(join(logDir, `${this.spec.id}.log`), b);
      this.log += b.toString();
      if (this.log.length > 100_000) this.log = this.log.slice(-50_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  async metrics(): Promise<string | undefined> {
    if (!this.alive) return undefined;
    try {
      const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }

  /** kill -9: no resignation, its etcd lease has to expire before another replica leads. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** A value of a metric without labels (or the sum over its label sets) in Prometheus text. */
export const metricValue = (text: string, name: string, labels: Record<string, string> = {}): number => {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
};

/**
 * A TCP front for the replicas on a loopback port: each connection goes to the first replica
 * that accepts it, starting from a rotating index, so a dead replica is skipped as a Service
 * skips an endpoint whose pod is gone. Hand-written: it is 30 lines, and no proxy library is
 * needed for plain TCP on loopback.
 */
export const startServiceFront = async (
  backends: () => readonly IpamdProcess[],
): Promise<{ url: string; close: () => Promise<void> }> => {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const list = backends().filter((b) => b.alive);
    const start = next++;
    const tryAt = (i: number) => {
      const b = list[(start + i) % Math.max(list.length, 1)];
      if (!b || i >= list.length) return void client.destroy();
      const up = connect(b.spec.port, '127.0.0.1');
      let connected = false;
      up.on('error', () => {
        up.destroy();
        if (!connected && !client.destroyed) tryAt(i + 1);
        else client.destroy();
      });
      up.once('connect', () => {
        connected = true;
        sockets.add(up);
        up.on('close', () => sockets.delete(up));
        client.pipe(up);
        up.pipe(client);
        client.resume();
        client.on('close', () => up.destroy());
        up.on('close', () => client.destroy());
      });
    };
    tryAt(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('service front: no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
};
