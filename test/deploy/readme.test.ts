/**
 * README.md's reference tables against the code, so the documentation cannot drift: every ipamd
 * flag (OPTIONS) and secret variable, every ConfigMap key, every eni-agent config key
 * (AgentConfigSchema), every ipamctl option (its --help), every CNI error code and pod Event
 * reason has its row, and every row exists in the code. Also: paths it names exist, and the
 * node-token recipe computes ipamd's token.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIGMAP_KEYS } from '@eni-ipam/core';
import { nodeToken, OPTIONS, SECRET_ENV } from '@eni-ipam/ipamd';
import { CniCode } from '@eni-ipam/node-dataplane';
import { describe, expect, it } from 'vitest';
import {
  agentConfigSchema,
  exists,
  ipamctlHelp,
  ipamdGetStatus,
  parseIpamd,
  readText,
  readYamlDocs,
} from './support.js';

const readme = readText('README.md');

/** The body of a section: from its heading to the next heading of the same or a higher level. */
const section = (text: string, heading: string): string => {
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const start = text.split('\n').findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const lines = text.split('\n').slice(start + 1);
  const end = lines.findIndex((l) => new RegExp(`^#{1,${level}} `).test(l));
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
};
/** Rows of the markdown tables in a text, as cells (header and separator rows dropped). */
const rows = (text: string): string[][] =>
  text
    .split('\n')
    .filter((l) => l.trimStart().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
    .filter((cells, i, all) => !/^-+$/.test(cells[0] ?? '') && !/^-+$/.test(all[i + 1]?.[0] ?? ''));
const code = (cell: string | undefined): string => /^`([^`]*)`$/.exec(cell ?? '')?.[1] ?? cell ?? '';
const config = section(readme, '## Configuration reference');

describe('README.md configuration reference', () => {
  it('documents every ipamd flag with its environment variable and default, and no other', () => {
    const table = new Map(
      rows(section(config, '### ipamd'))
        .filter((r) => code(r[0]).startsWith('--'))
        .map((r) => [code(r[0]), r]),
    );
    for (const o of OPTIONS) {
      const name = o.flags.split(' ')[0] as string;
      const row = table.get(name);
      expect(
        row,
        `ipamd flag ${name} (env ${o.env}) is not documented in README.md, "Configuration reference" > "ipamd"`,
      ).toBeDefined();
      expect(code(row?.[1]), `${name}: environment variable`).toBe(o.env);
      expect(code(row?.[2]), `${name}: default`).toBe(o.default ?? '');
    }
    const known = new Set(OPTIONS.map((o) => o.flags.split(' ')[0]));
    for (const name of table.keys())
      expect(known.has(name), `README documents ${name}, which ipamd does not have`).toBe(true);
  });

  it('documents every secret and downward-API variable ipamd reads', () => {
    const env = new Set(
      rows(section(config, '### ipamd'))
        .map((r) => code(r[0]))
        .filter((c) => /^[A-Z_]+$/.test(c)),
    );
    const read = [...Object.values(SECRET_ENV), 'POD_NAME', 'POD_IP'];
    for (const v of read) expect(env.has(v), `ipamd variable ${v} is not documented in README.md`).toBe(true);
    for (const v of env) expect(read, `README documents ${v}, which ipamd does not read`).toContain(v);
    expect(readText('packages/ipamd/src/main/main.ts')).toContain('io.env.POD_IP');
    expect(readText('packages/ipamd/src/config/config.ts')).toContain('src.env.POD_NAME');
  });

  it('documents every key of the tke-eni-ipamd ConfigMap', () => {
    const keys = rows(section(config, '### ConfigMap `kube-system/tke-eni-ipamd`')).map((r) => code(r[0]));
    expect(keys.sort()).toEqual(Object.values(CONFIGMAP_KEYS).sort());
  });

  it('documents every eni-agent config key with its default, and no other', async () => {
    const schema = await agentConfigSchema();
    const table = new Map(rows(section(config, '### eni-agent')).map((r) => [code(r[0]), r]));
    const defaults = schema.parse({ node: 'n', ipamdUrl: 'http://127.0.0.1:1', tokenFile: '/t' }) as Record<
      string,
      unknown
    >;
    for (const key of Object.keys(schema.shape)) {
      const row = table.get(key);
      expect(
        row,
        `eni-agent config key ${key} is not documented in README.md, "Configuration reference" > "eni-agent"`,
      ).toBeDefined();
      const dflt = ['node', 'ipamdUrl', 'tokenFile'].includes(key) ? '' : String(defaults[key] ?? '');
      expect(code(row?.[1]), `${key}: default`).toBe(dflt);
    }
    for (const key of table.keys())
      expect(Object.keys(schema.shape), `README documents agent key ${key}`).toContain(key);
  });

  it('documents every ipamctl option, and no other', async () => {
    const help = await ipamctlHelp();
    const options = help.slice(help.indexOf('Options:'), help.indexOf('Commands:'));
    const flags = [...options.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1] as string);
    expect(flags).toContain('--etcd-endpoints');
    const documented = rows(section(config, '### ipamctl')).map((r) => code(r[0]).replace(/^-\w, /, ''));
    for (const f of flags)
      expect(documented, `ipamctl option ${f} is not documented in README.md, "ipamctl"`).toContain(f);
    for (const f of documented)
      expect(flags, `README documents ipamctl ${f}, which ipamctl does not have`).toContain(f);
  });
});

describe('README.md troubleshooting', () => {
  const trouble = section(readme, '## Troubleshooting: "my pod has no IP"');

  it('explains every CNI error code the plugins return', () => {
    const codes = rows(trouble)
      .map((r) => r[0] as string)
      .filter((c) => /^\d+$/.test(c))
      .map(Number);
    expect(codes.sort((a, b) => a - b)).toEqual(Object.values(CniCode).sort((a, b) => a - b));
  });

  it('explains every Warning reason ipamd records on pods and nodes', () => {
    const kube = section(
      readText('packages/ipamd/src/kube/README.md'),
      '## Event reasons (stable: `kubectl get events --field-selector reason=<reason>`)',
    );
    const reasons = rows(kube)
      .filter((r) => r[1] === 'Warning' && (r[2] === 'Pod' || r[2] === 'Node'))
      .map((r) => code(r[0]));
    expect(reasons.length).toBeGreaterThanOrEqual(6);
    const documented = rows(trouble).map((r) => code(r[0]).replace(/ \(on the Node\)$/, ''));
    for (const r of reasons)
      expect(
        documented.map((d) => d.replace(/`/g, '')),
        `reason ${r}`,
      ).toContain(r);
  });
});

describe('README.md, the rest', () => {
  it('quick start: the two commands exist, and the demo has its section', () => {
    const quick = section(readme, '## Quick start');
    const scripts = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(quick).toMatch(/^npm test\b/m);
    expect(quick).toMatch(/^npm run demo\b/m);
    expect(scripts.test && scripts.demo).toBeTruthy();
    expect(section(readme, '## The demo').trim().length).toBeGreaterThan(0);
  });

  it('every repository path it names exists', () => {
    const paths = [...readme.matchAll(/`((?:packages|deploy|test|scripts|bench)\/[A-Za-z0-9_./-]+)`/g)].map(
      (m) => m[1] as string,
    );
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(exists(p.replace(/\/$/, '')), `README names ${p}`).toBe(true);
  });

  it('names the Secrets and keys the manifests mount', () => {
    const deploy = section(readme, '## Deploying');
    const docs = ['ipamd.yaml', 'eni-agent.yaml'].flatMap((f) => readYamlDocs(`deploy/kubernetes/${f}`));
    const secrets = JSON.stringify(docs).matchAll(
      /"secret":\{"secretName":"([^"]+)"(?:,"defaultMode":\d+)?(?:,"items":(\[[^\]]*\]))?/g,
    );
    let n = 0;
    for (const [, name, items] of secrets) {
      n++;
      expect(deploy, `Secret ${name}`).toContain(name as string);
      for (const item of (JSON.parse(items ?? '[]') as { key: string }[]).map((i) => i.key)) {
        expect(deploy, `Secret ${name} key ${item}`).toMatch(new RegExp(`--from-file=${item.replace('.', '\\.')}\\b`));
      }
    }
    expect(n).toBe(3);
  });

  it('the node-token recipe computes the token ipamd accepts', () => {
    const recipe = /^eni_node_token\(\) \{[^\n]*\n[^\n]*\n\}$/m.exec(readme)?.[0];
    expect(recipe).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'eni-ipam-readme-'));
    try {
      const secret = 'readme-test-cluster-secret-0123456789abcdef';
      writeFileSync(join(dir, 'auth-secret'), `${secret}\n`);
      for (const node of ['node-a', '10.0.1.17', 'ip-10-0-1-17.example']) {
        const r = spawnSync('bash', ['-c', `${recipe}\neni_node_token "$1"`, 'recipe', node], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(nodeToken(secret, node));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every `npm run ipamd` command it shows parses with ipamd’s own parser', () => {
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => (m[1] as string).replace(/\\\n\s*/g, ' ').split('\n'))
      .filter((l) => /\bnpm run ipamd -- /.test(l));
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) {
      const [before, after] = line.split(/\bnpm run ipamd -- /) as [string, string];
      const env = Object.fromEntries(
        before
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map((a) => a.split('=', 2) as [string, string]),
      );
      const r = parseIpamd(after.replace(/#.*$/, '').trim().split(/\s+/), env);
      expect(r.ok ? [] : r.problems, line).toEqual([]);
    }
  });

  it('the probe and health paths it tells operators to curl are ipamd routes', async () => {
    const status = await ipamdGetStatus(['/readyz', '/metrics']);
    for (const [path, c] of status) expect(c, path).not.toBe(404);
  });
});
