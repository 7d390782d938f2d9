/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what can be checked:
 * every COPY source exists and survives .dockerignore, every build output a runtime COPY takes is
 * one the build stage produces, every entry script exists and imports a module that the build
 * compiles and that exports `main`, and the Node version satisfies package.json's engines.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { exists, readText, repoPath } from './support.js';

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** Instructions of a Dockerfile (continuation lines joined, comments dropped), with their stage. */
const instructions = (text: string): Instruction[] => {
  const out: Instruction[] = [];
  let stage = '';
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const [op, args] = [m[1] as string, (m[2] as string).trim()];
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    out.push({ stage, op, args });
  }
  return out;
};

/** @balena/dockerignore: Docker's own .dockerignore rules (a CommonJS factory; its typings say ESM default). */
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as () => {
  add(patterns: string): { ignores(path: string): boolean };
};
const dockerfile = readText('Dockerfile');
const all = instructions(dockerfile);
const ignore = dockerignore().add(readText('.dockerignore'));
const argDefault = (name: string) =>
  all.find((i) => i.op === 'ARG' && i.args.startsWith(`${name}=`))?.args.split('=')[1];

/** COPY sources and destination (JSON form not used in this Dockerfile). */
const copies = all
  .map((i, index) => ({ ...i, index }))
  .filter((i) => i.op === 'COPY')
  .map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return { index: i.index, stage: i.stage, from, sources: paths.slice(0, -1), dest: paths.at(-1) as string };
  });

/** The TypeScript projects `tsc -b <projects>` in the build stage compiles, with their references. */
const builtProjects = (): Set<string> => {
  const run = all.find((i) => i.op === 'RUN' && /tsc -b /.test(i.args));
  const roots =
    /tsc -b ((?:packages\/[a-z-]+\s*)+)/
      .exec(run?.args ?? '')?.[1]
      ?.trim()
      .split(/\s+/) ?? [];
  const seen = new Set<string>();
  const visit = (p: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    const ts = JSON.parse(readText(`${p}/tsconfig.json`)) as { references?: { path: string }[] };
    for (const r of ts.references ?? []) visit(`packages/${r.path.replace(/^\.\.\//, '')}`);
  };
  for (const r of roots) visit(r);
  return seen;
};

/** `packages/X/dist/a/b.js` -> `packages/X/src/a/b.ts`, when X is compiled with outDir dist from rootDir src. */
const sourceOfDist = (distPath: string): string | undefined => {
  const m = /^(packages\/[a-z-]+)\/dist\/(.+)\.js$/.exec(distPath);
  if (!m) return undefined;
  const ts = JSON.parse(readText(`${m[1]}/tsconfig.json`)) as { compilerOptions: { rootDir: string; outDir: string } };
  expect(ts.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  return `${m[1]}/src/${m[2]}.ts`;
};

describe('Dockerfile', () => {
  it('has a build stage and a slim runtime stage on the Node major of package.json engines', () => {
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines.node;
    const min = /^>=(\d+)\.(\d+)/.exec(engines);
    const version = argDefault('NODE_VERSION');
    expect(min, `engines.node ${engines}`).not.toBeNull();
    expect(version).toMatch(/^\d+\.\d+$/);
    const [major, minor] = (version as string).split('.').map(Number) as [number, number];
    expect(major).toBe(Number(min?.[1]));
    expect(minor).toBeGreaterThanOrEqual(Number(min?.[2]));
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args);
    const base = ['node:$', '{NODE_VERSION}'].join(''); // the Dockerfile's ARG reference, not a JS template
    expect(froms).toEqual([`${base}-bookworm AS build`, `${base}-bookworm-slim AS runtime`]);
  });

  it('copies only context paths that exist and that .dockerignore keeps', () => {
    const fromContext = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(fromContext.length).toBeGreaterThan(10);
    for (const src of fromContext) {
      expect(exists(src), `COPY ${src}: no such path`).toBe(true);
      expect(ignore.ignores(src), `COPY ${src}: excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies every workspace manifest before npm ci (npm ci needs them all)', () => {
    const workspaces = (JSON.parse(readText('package.json')) as { workspaces: string[] }).workspaces;
    for (const stage of ['build', 'runtime']) {
      const idx = all.findIndex((i) => i.stage === stage && i.op === 'RUN' && /npm ci/.test(i.args));
      expect(idx, `npm ci in ${stage}`).toBeGreaterThan(0);
      const before = copies.filter((c) => c.stage === stage && c.from === undefined && c.index < idx);
      const manifests = new Set(before.flatMap((c) => c.sources));
      for (const w of workspaces) expect(manifests.has(`${w}/package.json`), `${stage}: ${w}/package.json`).toBe(true);
      expect(manifests.has('package-lock.json')).toBe(true);
    }
  });

  it('the runtime takes from the build stage only what the build stage produces', () => {
    const projects = builtProjects();
    expect([...projects].sort()).toEqual(
      ['packages/cloud', 'packages/core', 'packages/ipamd', 'packages/node-dataplane', 'packages/store'].sort(),
    );
    const fromBuild = copies.filter((c) => c.from === 'build');
    const dists = fromBuild.flatMap((c) => c.sources).filter((s) => s.startsWith('/src/'));
    expect(dists.map((d) => d.replace(/^\/src\//, '').replace(/\/dist$/, '')).sort()).toEqual([...projects].sort());
    const shim = all.find((i) => i.stage === 'build' && i.op === 'RUN' && /cni-shim\.c/.test(i.args));
    const shimSource = /(packages\/\S+\/cni-shim\.c)/.exec(shim?.args ?? '')?.[1] as string;
    expect(exists(shimSource)).toBe(true);
    for (const name of ['tke-route-eni', 'tke-direct-eni']) expect(shim?.args).toContain(`/out/cni/bin/${name}`);
    expect(fromBuild.some((c) => c.sources.includes('/out/cni/bin') && c.dest === '/opt/eni-ipam/cni/bin')).toBe(true);
  });

  it('every entry script exists, is copied, and runs a compiled module that exports main', async () => {
    const copied = copies.filter((c) => c.stage === 'runtime').flatMap((c) => c.sources);
    const scripts = readdirSync(repoPath('deploy/docker/bin')).map((f) => `deploy/docker/bin/${f}`);
    expect(scripts.sort()).toEqual(
      ['ipamctl.mjs', 'ipamd.mjs', 'node-init.sh', 'vpc-sim.mjs'].map((f) => `deploy/docker/bin/${f}`),
    );
    expect(copied).toContain('deploy/docker/bin');
    const projects = builtProjects();
    for (const s of scripts.filter((f) => f.endsWith('.mjs'))) {
      const target = /new URL\('\.\.\/\.\.\/\.\.\/(packages\/[^']+)'/.exec(readText(s))?.[1] as string;
      const source = sourceOfDist(target) as string;
      expect(projects.has(source.replace(/\/src\/.*/, '')), `${s}: ${target} is not compiled`).toBe(true);
      const mod = (await import(repoPath(source))) as { main?: unknown };
      expect(typeof mod.main, `${source} exports main`).toBe('function');
    }
    // eni-agent runs its compiled entry directly (its bin in package.json)
    const agentBin = (JSON.parse(readText('packages/node-dataplane/package.json')) as { bin: Record<string, string> })
      .bin['eni-agent'];
    expect(exists(sourceOfDist(`packages/node-dataplane/${agentBin?.replace(/^\.\//, '')}`) as string)).toBe(true);
    expect(dockerfile).toContain(`node packages/node-dataplane/${agentBin?.replace(/^\.\//, '')} CONFIG.json`);
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '[]')).toEqual(['node']);
    expect(scripts).toContain(cmd[0]);
  });
});
