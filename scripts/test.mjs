// `npm test`: set up what a fresh clone lacks (see bootstrap.mjs), then run vitest with the
// arguments given (`npm test -- --coverage`, `npm test -- --project core`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNpmPackages, ensureSystemPackages, repoRoot } from './bootstrap.mjs';

ensureSystemPackages();
ensureNpmPackages();
const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { cwd: repoRoot, stdio: 'inherit' });
process.exit(r.status ?? 1);
