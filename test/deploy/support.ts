/**
 * Shared by the deployment-artefact tests: the repository's files, and the real parsers of
 * every binary those artefacts start (ipamd's loadConfig, the VPC simulator's CLI, ipamctl's
 * CLI, eni-agent's config schema, the installed etcd's --help), so a flag the code does not
 * know fails a test instead of a deployment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, type IpamdConfig, loadConfig } from '@eni-ipam/ipamd';
import { vi } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const repoPath = (...p: string[]): string => join(root, ...p);
export const readText = (p: string): string => readFileSync(repoPath(p), 'utf8');
/** One YAML document (with `<<` merge keys, as docker compose reads them). */
export const readYaml = (p: string): unknown => parseYaml(readText(p), { merge: true });
/** Every document of a multi-document YAML file. */
export const readYamlDocs = (p: string): unknown[] =>
  parseAllDocuments(readText(p)).map((d) => {
    if (d.errors.length > 0) throw new Error(`${p}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS({ maxAliasCount: 100 });
  });
export const exists = (p: string): boolean => existsSync(repoPath(p));

/**
 * ipamd's own parser on a container's arguments and environment. Returns the config, or the
 * problems ipamd would print before exiting 2 (unknown flag, malformed value, missing setting).
 */
export const parseIpamd = (
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { ok: true; config: IpamdConfig } | { ok: false; problems: readonly string[] } => {
  try {
    const r = loadConfig({ argv, env, hostname: hostname() });
    if (r.kind === 'help') return { ok: false, problems: ['--help given'] };
    return { ok: true, config: r.config };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, problems: e.problems };
    throw e;
  }
};

/** `--name=value` and `--name value` forms of a command line, by flag name. */
export const flagValues = (argv: readonly string[]): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const [name, value] = eq > 0 ? [a.slice(2, eq), a.slice(eq + 1)] : [a.slice(2), argv[i + 1] ?? ''];
    if (eq < 0 && !(argv[i + 1] ?? '--').startsWith('--')) i++;
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
};
export const flag = (argv: readonly string[], name: string): string | undefined => flagValues(argv).get(name)?.[0];

/** The long flags the installed etcd documents in `etcd --help` (Debian's /usr/bin/etcd, 3.4). */
export const etcdHelp = (): { version: string; flags: Set<string> } => {
  const help = spawnSync('/usr/bin/etcd', ['--help'], { encoding: 'utf8' });
  const text = `${help.stdout}${help.stderr}`;
  const flags = new Set([...text.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1] as string));
  const version = /etcd Version: (\S+)/.exec(spawnSync('/usr/bin/etcd', ['--version'], { encoding: 'utf8' }).stdout);
  return { version: version?.[1] ?? '', flags };
};

const quietly = async <T>(f: () => Promise<T>): Promise<{ result: T; out: string }> => {
  const lines: string[] = [];
  const keep = (...a: unknown[]) => {
    lines.push(a.join(' '));
  };
  const log = vi.spyOn(console, 'log').mockImplementation(keep);
  const err = vi.spyOn(console, 'error').mockImplementation(keep);
  try {
    const result = await f();
    return { result, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
};

const importSource = (p: string): Promise<unknown> => import(pathToFileURL(repoPath(p)).href);

/**
 * Whether the VPC simulator's CLI (packages/cloud/src/sim/cli.ts, strict `parseArgs`) accepts
 * these flags: they are given with `--help` appended, which answers 0 only after every flag
 * parsed (an unknown flag or a missing value answers 2), and starts nothing.
 */
export const vpcSimAccepts = async (argv: readonly string[]): Promise<{ code: number; out: string }> => {
  const cli = (await importSource('packages/cloud/src/sim/cli.ts')) as { main(argv: string[]): Promise<number> };
  const { result, out } = await quietly(() => cli.main([...argv, '--help']));
  return { code: result, out };
};

/** ipamctl's `--help` text (its real commander program). */
export const ipamctlHelp = async (): Promise<string> => {
  const cli = (await importSource('packages/ipamd/src/ipamctl/cli.ts')) as {
    main(
      argv: string[],
      io: { out(s: string): void; err(s: string): void; env: Record<string, string> },
    ): Promise<number>;
  };
  const text: string[] = [];
  const keep = (s: string) => {
    text.push(s);
  };
  await cli.main(['--help'], { out: keep, err: keep, env: {} });
  return text.join('');
};

let agentSchema: z.ZodObject | undefined;
/**
 * eni-agent's `AgentConfigSchema`. It lives in the agent's entry module, which starts the agent
 * when imported: it is imported here with no config argument (so its `main` fails at once with
 * its usage line) and `process.exit` stubbed, which leaves only the exported schema.
 */
export const agentConfigSchema = async (): Promise<z.ZodObject> => {
  if (agentSchema) return agentSchema;
  const argv = process.argv;
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const { result } = await quietly(async () => {
    process.argv = argv.slice(0, 2);
    try {
      const m = (await importSource('packages/node-dataplane/src/agent/main.ts')) as { AgentConfigSchema: z.ZodObject };
      await new Promise((r) => setImmediate(r)); // let the entry's failed main() settle
      return m.AgentConfigSchema;
    } finally {
      process.argv = argv;
    }
  });
  exit.mockRestore();
  agentSchema = result;
  return result;
};

/**
 * The HTTP status ipamd's real API server (over a recording service) answers to an
 * unauthenticated GET of `path`: 404 means the route does not exist.
 */
export const ipamdGetStatus = async (paths: readonly string[]): Promise<Map<string, number>> => {
  const { startTestServer } = await import('@eni-ipam/ipamd/testing');
  const server = await startTestServer();
  try {
    const out = new Map<string, number>();
    for (const p of paths) out.set(p, (await server.app.inject({ method: 'GET', url: p })).statusCode);
    return out;
  } finally {
    await server.close();
  }
};
