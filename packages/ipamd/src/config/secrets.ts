import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, type IpamdConfig, type SecretSource } from './config.js';

/** The secret values a config points at, read once at start-up. Never logged. */
export interface Secrets {
  /** Absent only with `--auth-mode tokenreview`. */
  clusterSecret: string | undefined;
  adminToken: string | undefined;
  etcdPassword: string | undefined;
  cloud: { secretId: string; secretKey: string };
  /** PEM text of the HTTPS certificate and key, when configured. */
  tls: { cert: string; key: string } | undefined;
}

const credentialsFile = z.strictObject({ secretId: z.string().min(1), secretKey: z.string().min(1) });

/**
 * Reads every secret file of the configuration (a trailing newline is dropped, as `kubectl
 * create secret --from-file` and editors leave one) and checks it. Every problem is reported at
 * once; nothing is half-loaded.
 *
 * @throws ConfigError naming each unreadable or malformed file (never its content).
 */
export const loadSecrets = async (
  c: IpamdConfig,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<Secrets> => {
  const problems: string[] = [];
  const text = async (what: string, path: string): Promise<string | undefined> => {
    try {
      return (await read(path)).replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const secret = async (what: string, s: SecretSource | undefined, min: number): Promise<string | undefined> => {
    if (s === undefined) return undefined;
    const value = 'value' in s ? s.value : await text(what, s.file);
    if (value !== undefined && Buffer.byteLength(value) < min) {
      problems.push(`${what}${'file' in s ? ` ${s.file}` : ''} must be at least ${min} bytes`);
    }
    return value;
  };
  const clusterSecret = await secret('auth secret', c.auth.clusterSecret, 32);
  const adminToken = await secret('admin token', c.auth.adminToken, 32);
  const etcdPassword = await secret('etcd password', c.etcd.auth?.password, 1);
  let cloud: Secrets['cloud'] | undefined;
  if ('file' in c.cloud.credentials) {
    const raw = await text('cloud credentials', c.cloud.credentials.file);
    if (raw !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      const r = credentialsFile.safeParse(parsed);
      if (r.success) cloud = r.data;
      else problems.push(`cloud credentials ${c.cloud.credentials.file}: expected JSON {"secretId","secretKey"}`);
    }
  } else {
    cloud = c.cloud.credentials;
  }
  const tls = c.listen.tls
    ? { cert: await text('TLS certificate', c.listen.tls.certFile), key: await text('TLS key', c.listen.tls.keyFile) }
    : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    clusterSecret,
    adminToken,
    etcdPassword,
    cloud: cloud as Secrets['cloud'],
    tls: tls as Secrets['tls'],
  };
};
