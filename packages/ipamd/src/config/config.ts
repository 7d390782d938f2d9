import { IpamError, parseGoDuration, poolPolicySchema, preBindSchema } from '@eni-ipam/core';
import type { CommanderError } from 'commander';
import { z } from 'zod';
import { buildProgram, helpText, OPTIONS, type OptionSpec, SECRET_ENV } from './options.js';

/** A secret is read from a file at start-up (path here) or was given in the environment. */
export type SecretSource = { file: string } | { value: string };

/** ipamd's configuration, parsed once at start-up and passed down; never read from env later. */
export interface IpamdConfig {
  clusterId: string;
  /** `--claim-expired-duration` in ms; null = kept claims never expire. */
  claimExpiryMs: number | null;
  replicaId: string;
  listen: { host: string; port: number; tls: { certFile: string; keyFile: string } | undefined };
  etcd: {
    endpoints: string[];
    prefix: string;
    tls: { caFile?: string; certFile?: string; keyFile?: string } | undefined;
    auth: { username: string; password: SecretSource } | undefined;
  };
  cloud: {
    region: string;
    endpoint: string;
    credentials: { file: string } | { secretId: string; secretKey: string };
  };
  /**
   * `hmac`: node tokens derived from the cluster secret (required then). `tokenreview`: agents
   * present their ServiceAccount tokens, checked by TokenReview (needs the Kubernetes side).
   */
  auth: {
    mode: 'hmac' | 'tokenreview';
    clusterSecret: SecretSource | undefined;
    adminToken: SecretSource | undefined;
    /** The agents' ServiceAccount, `namespace/name` (tokenreview). */
    agentServiceAccount: string;
  };
  pool: { preBind: { min: number; max: number }; releaseIntervalMs: number; policy: 'warm' | 'on-demand' };
  configMap: { namespace: string; name: string };
  /**
   * Where the Kubernetes side connects: a kubeconfig file (`--kubeconfig`, env KUBECONFIG), the
   * in-cluster config (a pod: env KUBERNETES_SERVICE_HOST), or undefined (no Kubernetes side).
   */
  kube: { kubeconfig: string } | { inCluster: true } | undefined;
  /** Archived log segments (`--archive-dir`); absent: the log lives in etcd alone. */
  archiveDir: string | undefined;
  /** Leader lease TTL, seconds (`--election-ttl`). */
  electionTtlSeconds: number;
  /** `--cloud-audit-interval` in ms; 0 = no audit. */
  cloudAuditIntervalMs: number;
  /** `--archive-interval` in ms between log maintenance runs; 0 = off (also off without `archiveDir`). */
  archiveIntervalMs: number;
  /** `--archive-retention` in ms: history younger than this stays live in etcd. */
  archiveRetentionMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
}

/** Bad flags or environment: every problem found, one line each. */
export class ConfigError extends IpamError {
  constructor(readonly problems: readonly string[]) {
    super('InvalidInput', `invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
}

export interface ConfigSources {
  /** Arguments after the program name. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Used for the default replica id. */
  hostname: string;
}

export type LoadResult = { kind: 'config'; config: IpamdConfig } | { kind: 'help'; text: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const text = (max = 4096) => z.string().min(1).max(max);
const goDuration = (minMs: number, allowZero: boolean) =>
  z.string().transform((s, ctx) => {
    try {
      const ms = Math.round(parseGoDuration(s));
      if ((ms === 0 && allowZero) || ms >= minMs) return ms;
      ctx.addIssue({ code: 'custom', message: `must be at least ${minMs / 1000}s${allowZero ? ' or 0' : ''}` });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a Go duration (e.g. 10m0s, 90s, 1h)' });
    }
    return z.NEVER;
  });
const intText = z
  .string()
  .regex(/^[0-9]{1,9}$/, 'not a non-negative integer')
  .transform(Number);
const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/, 'expected host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((l) => l.port <= 65535, 'port must be 0..65535');
const endpoints = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(
    z
      .array(z.url({ protocol: /^https?$/, error: 'each endpoint must be an http(s) URL' }))
      .min(1)
      .max(16),
  );

/** How each flag's text becomes a value. */
const FIELD: Record<string, z.ZodType> = {
  clusterid: z.string().regex(DNS_LABEL, 'not a cluster id (lowercase letters, digits, -; at most 63)'),
  claimExpiredDuration: goDuration(1000, true),
  replicaId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'not a replica id (1-128 of A-Za-z0-9._-)'),
  listen,
  tlsCertFile: text(),
  tlsKeyFile: text(),
  etcdEndpoints: endpoints,
  etcdPrefix: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]{0,200}[A-Za-z0-9._-]$/, 'an absolute key prefix without a trailing /'),
  etcdCaFile: text(),
  etcdCertFile: text(),
  etcdKeyFile: text(),
  etcdUsername: text(256),
  etcdPasswordFile: text(),
  region: z.string().regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'not a region (e.g. ap-guangzhou)'),
  cloudCredentialsFile: text(),
  cloudEndpoint: z.string().regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/, 'expected host[:port] or a URL'),
  authSecretFile: text(),
  adminTokenFile: text(),
  prebindMin: intText,
  prebindMax: intText,
  releaseInterval: goDuration(1000, false),
  poolPolicy: poolPolicySchema,
  kubeconfig: text(),
  authMode: z.enum(['hmac', 'tokenreview']),
  agentServiceAccount: z.string().regex(/^[a-z0-9-]{1,63}\/[a-z0-9.-]{1,253}$/, 'expected namespace/name'),
  configmap: z.string().regex(/^[a-z0-9-]{1,63}\/[a-z0-9.-]{1,253}$/, 'expected namespace/name'),
  archiveDir: text(),
  cloudAuditInterval: goDuration(10_000, true),
  archiveInterval: goDuration(60_000, true),
  archiveRetention: goDuration(3_600_000, false),
  electionTtl: intText.pipe(z.number().min(2, 'at least 2 seconds').max(60, 'at most 60 seconds')),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
};

const origin = (o: OptionSpec, source: string) => `--${o.flags.split(' ')[0]?.slice(2)} (${source})`;
const secretMin = 32;

/**
 * Parses flags (commander: declarative options, `--help` text, `--flag=value` and `--flag value`
 * forms, unknown-flag detection; util.parseArgs has no help output and stops at the first
 * unknown flag) and the environment, applies defaults (flag > env > default), and validates
 * everything (zod), reporting every problem at once.
 *
 * @example loadConfig({ argv: ['--clusterid', 'cls-1', '--region', 'ap-guangzhou'], env, hostname })
 * @throws ConfigError listing each problem.
 */
export const loadConfig = (src: ConfigSources): LoadResult => {
  if (src.argv.includes('--help') || src.argv.includes('-h')) return { kind: 'help', text: helpText() };
  const program = buildProgram();
  const problems: string[] = [];
  try {
    program.parse([...src.argv], { from: 'user' });
  } catch (e) {
    return fail([(e as CommanderError).message.replace(/^error: /, '')]);
  }
  for (const extra of program.args) {
    problems.push(extra.startsWith('-') ? `unknown flag ${extra}` : `unexpected argument ${JSON.stringify(extra)}`);
  }
  const flags = program.opts<Record<string, string | undefined>>();
  const v: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    const fromFlag = flags[o.key];
    const fromEnv = src.env[o.env];
    const [raw, source] =
      fromFlag !== undefined
        ? [fromFlag, 'flag']
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, `env ${o.env}`]
          : [o.default, 'default'];
    if (raw === undefined) continue;
    const r = (FIELD[o.key] as z.ZodType).safeParse(raw);
    if (r.success) v[o.key] = r.data;
    else problems.push(`${origin(o, source)}: ${r.error.issues[0]?.message ?? 'invalid'}, got ${JSON.stringify(raw)}`);
  }
  const secret = (fileKey: string, envName: string, what: string, min = secretMin): SecretSource | undefined => {
    if (v[fileKey] !== undefined) return { file: v[fileKey] as string };
    const value = src.env[envName];
    if (value === undefined || value === '') return undefined;
    if (Buffer.byteLength(value) < min) problems.push(`${what} (env ${envName}) must be at least ${min} bytes`);
    return { value };
  };
  if (v.clusterid === undefined && !problems.some((p) => p.startsWith('--clusterid'))) {
    problems.push('--clusterid is required (or env ENI_IPAM_CLUSTER_ID)');
  }
  if (v.region === undefined && !problems.some((p) => p.startsWith('--region'))) {
    problems.push('--region is required (or env ENI_IPAM_REGION)');
  }
  const clusterSecret = secret('authSecretFile', SECRET_ENV.authSecret, 'the auth secret');
  if (v.authMode !== 'tokenreview' && !clusterSecret && !problems.some((p) => p.includes('auth-secret-file'))) {
    problems.push(`--auth-secret-file or env ${SECRET_ENV.authSecret} is required`);
  }
  const adminToken = secret('adminTokenFile', SECRET_ENV.adminToken, 'the admin token');
  const preBind = preBindSchema.safeParse({ min: v.prebindMin, max: v.prebindMax });
  if (!preBind.success && v.prebindMin !== undefined && v.prebindMax !== undefined) {
    problems.push(
      `--prebind-min ${v.prebindMin} / --prebind-max ${v.prebindMax}: need 0 <= min <= max <= 1024 (${preBind.error.issues[0]?.message})`,
    );
  }
  const pair = (a: string, b: string) => {
    if ((v[a] === undefined) !== (v[b] === undefined)) problems.push(`--${kebab(a)} and --${kebab(b)} go together`);
  };
  pair('tlsCertFile', 'tlsKeyFile');
  pair('etcdCertFile', 'etcdKeyFile');
  const etcdPassword = secret('etcdPasswordFile', SECRET_ENV.etcdPassword, 'the etcd password', 1);
  if ((v.etcdUsername === undefined) !== (etcdPassword === undefined)) {
    problems.push(
      `--etcd-username needs a password (--etcd-password-file or env ${SECRET_ENV.etcdPassword}), and back`,
    );
  }
  const secretId = src.env[SECRET_ENV.cloudSecretId];
  const secretKey = src.env[SECRET_ENV.cloudSecretKey];
  if (v.cloudCredentialsFile === undefined && !(secretId && secretKey)) {
    problems.push(
      `cloud credentials: --cloud-credentials-file, or both env ${SECRET_ENV.cloudSecretId} and ${SECRET_ENV.cloudSecretKey}`,
    );
  }
  if (v.authMode === 'tokenreview' && !v.kubeconfig && !src.env.KUBERNETES_SERVICE_HOST) {
    problems.push('--auth-mode tokenreview needs the Kubernetes side (--kubeconfig, env KUBECONFIG, or in-cluster)');
  }
  if (problems.length > 0) return fail(problems);

  const [cmNamespace, cmName] = (v.configmap as string).split('/') as [string, string];
  const clusterId = v.clusterid as string;
  const replicaFromPod = FIELD.replicaId?.safeParse(src.env.POD_NAME ?? src.hostname);
  const config: IpamdConfig = {
    clusterId,
    claimExpiryMs: (v.claimExpiredDuration as number) === 0 ? null : (v.claimExpiredDuration as number),
    replicaId: (v.replicaId as string | undefined) ?? (replicaFromPod?.success ? String(replicaFromPod.data) : 'ipamd'),
    listen: {
      ...(v.listen as { host: string; port: number }),
      tls: v.tlsCertFile ? { certFile: v.tlsCertFile as string, keyFile: v.tlsKeyFile as string } : undefined,
    },
    etcd: {
      endpoints: v.etcdEndpoints as string[],
      prefix: (v.etcdPrefix as string | undefined) ?? `/eni-ipam/${clusterId}`,
      tls:
        v.etcdCaFile || v.etcdCertFile
          ? strip({ caFile: v.etcdCaFile, certFile: v.etcdCertFile, keyFile: v.etcdKeyFile })
          : undefined,
      auth: etcdPassword ? { username: v.etcdUsername as string, password: etcdPassword } : undefined,
    },
    cloud: {
      region: v.region as string,
      endpoint: v.cloudEndpoint as string,
      credentials: v.cloudCredentialsFile
        ? { file: v.cloudCredentialsFile as string }
        : { secretId: secretId as string, secretKey: secretKey as string },
    },
    auth: {
      mode: v.authMode as 'hmac' | 'tokenreview',
      clusterSecret,
      adminToken,
      agentServiceAccount: v.agentServiceAccount as string,
    },
    pool: {
      preBind: preBind.data as { min: number; max: number },
      releaseIntervalMs: v.releaseInterval as number,
      policy: v.poolPolicy as 'warm' | 'on-demand',
    },
    configMap: { namespace: cmNamespace, name: cmName },
    kube: v.kubeconfig
      ? { kubeconfig: v.kubeconfig as string }
      : src.env.KUBERNETES_SERVICE_HOST
        ? { inCluster: true }
        : undefined,
    archiveDir: v.archiveDir as string | undefined,
    electionTtlSeconds: v.electionTtl as number,
    cloudAuditIntervalMs: v.cloudAuditInterval as number,
    archiveIntervalMs: v.archiveInterval as number,
    archiveRetentionMs: v.archiveRetention as number,
    logLevel: v.logLevel as IpamdConfig['logLevel'],
  };
  return { kind: 'config', config };
};

const fail = (problems: string[]): never => {
  throw new ConfigError(problems);
};
const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const strip = <T extends Record<string, unknown>>(o: T): { [K in keyof T]?: string } =>
  Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as { [K in keyof T]?: string };
