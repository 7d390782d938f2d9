/**
 * Runs one bench item by id, for working on an item before the runner has it:
 *   npx tsx --conditions=source bench/src/run-one.ts 3-restart-to-ready [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchItem } from './types.js';

const id = process.argv[2];
if (!id) throw new Error('usage: run-one.ts <item id> [--quick]');
const item = ((await import(`./items/${id}.ts`)) as { default: BenchItem }).default;
const tmpDir = mkdtempSync(join(tmpdir(), `bench-${id}-`));
try {
  const results = await item.run({
    quick: process.argv.includes('--quick'),
    tmpDir,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
