/**
 * The parts under test as child processes: the VPC simulator (`vpc-sim.mjs`, state persisted to a
 * file so a restart keeps the cloud) and ipamd replicas (`ipamd.mjs`). Every child runs under
 * `setpriv --pdeathsig KILL`, so it dies with the driver; `kill`/`pause`/`cont` signal the pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
export const IPAMD_BIN = repo('packages/ipamd/bin/ipamd.mjs');
export const IPAMCTL_BIN = repo('packages/ipamd/bin/ipamctl.mjs');
const SIM_BIN = repo('packages/cloud/bin/vpc-sim.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (p: ChildProcess | undefined): p is ChildProcess =>
  p !== undefined && p.exitCode === null && p.signalCode === null;

const waitExit = async (p: ChildProcess, sig: NodeJS.Signals): Promise<void> => {
  if (!alive(p)) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGCONT');
  p.kill(sig);
  await exited;
};

/** All children, killed by the exit hook whatever happens. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
});

const spawnChild = (args: string[], env: Record<string, string>): ChildProcess => {
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
};

export interface SimOptions {
  seedFile: string;
  stateFile: string;
  port: number;
  credentials: { secretId: string; secretKey: string };
  faults: Record<string, unknown>;
}

export class SimProcess {
  proc: ChildProcess | undefined;
  constructor(readonly o: SimOptions) {}
  get url(): string {
    return `http://127.0.0.1:${this.o.port}`;
  }

  async start(): Promise<void> {
    const proc = spawnChild(
      [
        SIM_BIN,
        ...['--seed', this.o.seedFile, '--state', this.o.stateFile, '--port', String(this.o.port)],
        ...['--secret-id', this.o.credentials.secretId, '--secret-key', this.o.credentials.secretKey],
        ...['--attach-ms', '30', '--detach-ms', '30', '--no-rate-limit'],
      ],
      {},
    );
    this.proc = proc;
    let tail = '';
    proc.stderr?.on('data', (b: Buffer) => {
      tail = (tail + b.toString()).slice(-2000);
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        if (l.includes('listening on')) resolve();
      });
      proc.once('exit', (c) => reject(new Error(`vpc-sim exited ${c}: ${tail}`)));
    });
    await this.setFaults(this.o.faults);
  }

  async setFaults(faults: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.url}/_sim/faults`, { method: 'PUT', body: JSON.stringify(faults) });
    if (res.status !== 200) throw new Error(`PUT /_sim/faults: ${res.status} ${await res.text()}`);
  }

  /** SIGTERM (the state file is written on stop) and start again on the same port. */
  async restart(): Promise<void> {
    if (this.proc) await waitExit(this.proc, 'SIGTERM');
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.proc) await waitExit(this.proc, 'SIGTERM');
  }
}

export interface IpamdOptions {
  id: string;
  args: string[];
  env: Record<string, string>;
  /** Every stdout/stderr line, for the log grep and for the report on failure. */
  onLine: (id: string, line: string) => void;
}

export class IpamdProcess {
  proc: ChildProcess | undefined;
  url: string | undefined;
  paused = false;
  starts = 0;
  /** Exits the nemesis did not cause: code or signal, and the replica's last log lines. */
  readonly crashes: { at: number; exit: string; tail: string[] }[] = [];
  private expectExit = false;
  private tail: string[] = [];
  constructor(readonly o: IpamdOptions) {}

  get running(): boolean {
    return alive(this.proc);
  }

  /** Spawns the replica and waits until it listens (not until it is ready). */
  async start(): Promise<void> {
    this.url = undefined;
    this.paused = false;
    this.starts++;
    const proc = spawnChild([IPAMD_BIN, '--replica-id', this.o.id, ...this.o.args], this.o.env);
    this.proc = proc;
    this.expectExit = false;
    this.tail = [];
    const keep = (l: string) => {
      this.o.onLine(this.o.id, l);
      this.tail = [...this.tail.slice(-7), l.slice(0, 600)];
    };
    proc.once('exit', (code, signal) => {
      if (!this.expectExit) this.crashes.push({ at: Date.now(), exit: `${code ?? signal}`, tail: this.tail });
    });
    createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', keep);
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        keep(l);
        try {
          const j = JSON.parse(l) as { advertised?: unknown; url?: unknown };
          if (typeof j.advertised === 'string' && typeof j.url === 'string') resolve(j.url);
        } catch {
          // not JSON
        }
      });
      proc.once('exit', (c, s) => reject(new Error(`ipamd ${this.o.id} exited (${c ?? s}) before listening`)));
    });
    this.url = url;
  }

  async kill(): Promise<void> {
    this.expectExit = true;
    if (this.proc) await waitExit(this.proc, 'SIGKILL');
    this.paused = false;
  }

  pause(): void {
    this.proc?.kill('SIGSTOP');
    this.paused = true;
  }

  cont(): void {
    this.proc?.kill('SIGCONT');
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.expectExit = true;
    if (this.proc) await waitExit(this.proc, 'SIGTERM');
  }

  async ready(): Promise<boolean> {
    if (!this.url || !this.running || this.paused) return false;
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1000) });
      return res.status === 200;
    } catch {
      return false;
    }
  }
}

export const waitUntil = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
};
