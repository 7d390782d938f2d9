/**
 * The dependency rules of DESIGN section 2, checked rather than promised:
 * - core is pure: the biome lint rule refuses Node I/O modules, etcd3, the cloud SDK and the
 *   Kubernetes client under packages/core (checked here by linting probes through biome itself,
 *   so deleting the rule fails this test);
 * - dependencies point inward: the package manifests and imports follow the allowed graph.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = join(root, 'node_modules/.bin/biome');

let probeCount = 0;
/** Lints `source` as if it were a file at `dir` (biome's stdin mode hides diagnostics, so the
 *  probe is written beside real sources under a unique name and removed at once). */
const lintAs = (dir: string, source: string) => {
  const file = join(root, dir, `__arch_probe_${process.pid}_${probeCount++}.ts`);
  writeFileSync(file, source);
  try {
    return spawnSync(biome, ['lint', file], { cwd: root, encoding: 'utf8' });
  } finally {
    rmSync(file, { force: true });
  }
};

describe('core purity (lint rule)', () => {
  it.each([
    { what: 'a node: I/O module', source: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n" },
    { what: 'a bare Node module', source: "import { connect } from 'net';\nexport const f = connect;\n" },
    { what: 'etcd3', source: "import { Etcd3 } from 'etcd3';\nexport const f = Etcd3;\n" },
    {
      what: 'the cloud SDK',
      source: "import { vpc } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc';\nexport const f = vpc;\n",
    },
    {
      what: 'the Kubernetes client',
      source: "import { KubeConfig } from '@kubernetes/client-node';\nexport const f = KubeConfig;\n",
    },
    { what: 'another eni-ipam package', source: "import { x } from '@eni-ipam/store';\nexport const f = x;\n" },
    { what: 'process.env', source: 'export const f = () => process.env.HOME;\n' },
    { what: 'setTimeout', source: 'export const f = () => setTimeout(() => {}, 1);\n' },
  ])('refuses $what in packages/core', ({ source }) => {
    const r = lintAs('packages/core/src', source);
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/noRestricted(Imports|Globals)/);
  });

  it('allows the same import outside core', () => {
    const r = lintAs('packages/store/src', "import { Etcd3 } from 'etcd3';\nexport const f = Etcd3;\n");
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

/** Which of our packages (and which heavy adapters) each package may depend on. */
const allowed: Record<string, { ours: string[]; forbidden: string[] }> = {
  core: { ours: [], forbidden: ['etcd3', 'tencentcloud-sdk-nodejs', '@kubernetes/client-node'] },
  store: { ours: ['core'], forbidden: ['tencentcloud-sdk-nodejs', '@kubernetes/client-node'] },
  cloud: { ours: ['core'], forbidden: ['etcd3', '@kubernetes/client-node'] },
  'node-dataplane': { ours: ['core'], forbidden: ['etcd3', 'tencentcloud-sdk-nodejs', '@kubernetes/client-node'] },
  ipamd: { ours: ['core', 'store', 'cloud'], forbidden: [] },
};

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });

describe('dependencies point inward', () => {
  it.each(Object.entries(allowed).map(([pkg, rule]) => ({ pkg, ...rule })))('$pkg depends only on $ours of ours', ({
    pkg,
    ours,
    forbidden,
  }) => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    const ourDeps = deps.filter((d) => d.startsWith('@eni-ipam/')).map((d) => d.slice('@eni-ipam/'.length));
    expect(ourDeps.filter((d) => !ours.includes(d))).toEqual([]);
    expect(deps.filter((d) => forbidden.includes(d))).toEqual([]);

    // Tests and test helpers may use the test workspace's support (the fake apiserver); shipped code may not.
    const shipped = (file: string) => !/\.test\.ts$|\/testing(\/|\.ts$)/.test(file);
    const imports = sourceFiles(join(root, 'packages', pkg, 'src'))
      .filter(shipped)
      .flatMap((file) =>
        [
          ...readFileSync(file, 'utf8').matchAll(
            /from\s+'(@eni-ipam\/[a-z-]+|etcd3|tencentcloud-sdk-nodejs|@kubernetes\/client-node)/g,
          ),
        ].map((m) => ({ file: file.slice(root.length), spec: m[1] as string })),
      );
    const bad = imports.filter(({ spec }) =>
      spec.startsWith('@eni-ipam/') ? !ours.includes(spec.slice('@eni-ipam/'.length)) : forbidden.includes(spec),
    );
    expect(bad).toEqual([]);
  });
});

it('the lint config is the one CI runs', () => {
  const out = execFileSync(biome, ['--version'], { cwd: root, encoding: 'utf8' });
  expect(out).toMatch(/\d+\.\d+\.\d+/);
});
