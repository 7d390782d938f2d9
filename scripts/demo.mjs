// `npm run demo`: plain Node with no dependency, because on a fresh clone nothing is installed
// yet. It sets up what is missing (scripts/bootstrap.mjs says what it installs), then runs the
// TypeScript orchestrator (test/demo/main.ts) through tsx with the arguments given
// (`npm run demo -- --nodes 4 --pods 30 --duration 60 --keep`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureNpmPackages, ensureSystemPackages, repoRoot } from './bootstrap.mjs';

const args = process.argv.slice(2);
if (!args.includes('--help') && !args.includes('-h')) {
  console.error('demo: checking what a fresh clone lacks (Debian packages, npm packages)');
  ensureSystemPackages();
  ensureNpmPackages();
}
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', join(repoRoot, 'test', 'demo', 'main.ts'), ...args],
  { cwd: repoRoot, stdio: 'inherit' },
);
// Signals are passed on (a Ctrl-C also reaches the orchestrator through the terminal; it stops
// once however many it gets), so the orchestrator stops everything it started before exiting.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
