import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR } from './cni-tools.js';

export interface AgentProcessOptions {
  node: string;
  /** The node's network namespace name. The agent process stays in the test's namespace, so it
   *  reaches the fake ipamd on loopback, and does all host work there through nsenter. */
  netns: string;
  ipamdUrl: string;
  token: string;
  workDir: string;
}

/** eni-agent as a real process in a node namespace, so tests can SIGKILL and restart it. */
export class AgentProcess {
  readonly socketPath: string;
  private readonly configPath: string;
  child: ChildProcess | undefined;
  log = '';

  constructor(private readonly opts: AgentProcessOptions) {
    this.socketPath = join(opts.workDir, `${opts.node}-run`, 'agent.sock');
    const tokenFile = join(opts.workDir, `${opts.node}.token`);
    writeFileSync(tokenFile, opts.token, { mode: 0o600 });
    this.configPath = join(opts.workDir, `${opts.node}.agent.json`);
    writeFileSync(
      this.configPath,
      JSON.stringify({
        node: opts.node,
        ipamdUrl: opts.ipamdUrl,
        tokenFile,
        socketPath: this.socketPath,
        logLevel: 'info',
        hostNetns: `/var/run/netns/${opts.netns}`,
      }),
    );
  }

  /** Starts the agent and resolves once it serves CNI. */
  async start(): Promise<void> {
    const main = join(PACKAGE_DIR, 'src', 'agent', 'main.ts');
    const args = ['--conditions=source', '--import', 'tsx', main, this.configPath];
    const child = spawn(process.execPath, args, {
      cwd: join(PACKAGE_DIR, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let served = false;
    const onData = (b: Buffer) => {
      this.log += b.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
      if (!served && b.toString().includes('serving CNI')) served = true;
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    for (let i = 0; i < 600 && !served; i++) {
      if (child.exitCode !== null) throw new Error(`agent ${this.opts.node} exited: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!served || !existsSync(this.socketPath)) throw new Error(`agent ${this.opts.node} did not start: ${this.log}`);
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
