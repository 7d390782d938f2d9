import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws: tests look at the code. */
export const sh = (
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ShResult> =>
  new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? Number((err as { code: number }).code)
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined); // the command may exit without reading stdin
    child.stdin?.end(opts.input ?? '');
  });

/** Like sh, but throws with the command's stderr when it fails. */
export const must = async (cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
};

export const suffix = (): string => randomBytes(3).toString('hex');

/**
 * Fails (never skips) with a clear message when this machine cannot create network namespaces:
 * the dataplane tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN), as CI has.
 */
export const requireNetns = (): void => {
  const name = `eni-probe-${suffix()}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) {
    throw new Error(
      `dataplane tests need root and network namespaces, but "ip netns add" failed: ${add.stderr || add.error}`,
    );
  }
  spawnSync('ip', ['netns', 'del', name]);
};
