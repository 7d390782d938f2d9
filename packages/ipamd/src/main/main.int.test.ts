import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/ipamd.mjs', import.meta.url));

it('bin/ipamd.mjs exits 2 with the problems on stderr when the configuration is bad', () => {
  const r = spawnSync(process.execPath, [bin, '--clusterid', 'cls-1', '--unknown-flag'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('ipamd: invalid configuration');
  expect(r.stdout).toBe('');
});
