// Fresh-clone set-up shared by `npm test` and `npm run demo`: plain Node with no dependency,
// because it runs before `npm ci`. It installs only what is missing and says what it installs.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
};

/** node_modules absent, or older than package-lock.json: `npm ci`. */
export const ensureNpmPackages = (log = console.error) => {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = join(repoRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return false;
  log('bootstrap: npm packages missing or stale: running `npm ci`');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  return true;
};

/**
 * Debian packages the real parts need (etcd-server, iproute2, the CNI plugins...): as root,
 * scripts/install-system-deps.sh installs the missing ones; otherwise say what to run.
 */
export const ensureSystemPackages = (log = console.error) => {
  const script = join(repoRoot, 'scripts', 'install-system-deps.sh');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    run('bash', [script]);
    return true;
  }
  const missing = ['/usr/bin/etcd', '/usr/lib/cni/host-local'].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    log(`bootstrap: missing ${missing.join(', ')}; as root run: sudo bash scripts/install-system-deps.sh`);
  }
  return false;
};
