import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTencentVpcApi, loadCredentials } from '@eni-ipam/cloud';
import { IpamError, type VpcApi } from '@eni-ipam/core';
import {
  ArchiveReader,
  Archiver,
  type ArchiveSegment,
  type EtcdConnectionOptions,
  EtcdEventStore,
  readPendingSegments,
  readSegmentIndex,
  type SegmentSubject,
  segmentConcerns,
  validateEnvelope,
} from '@eni-ipam/store';
import { z } from 'zod';
import { OPTIONS, SECRET_ENV } from '../config/options.js';
import type { ArchiveAccess } from './commands/load.js';

/** ipamd's flags that ipamctl shares (same spelling, same environment variables). */
export const SHARED_OPTION_KEYS = [
  'clusterid',
  'etcdEndpoints',
  'etcdPrefix',
  'etcdCaFile',
  'etcdCertFile',
  'etcdKeyFile',
  'etcdUsername',
  'etcdPasswordFile',
  'region',
  'cloudCredentialsFile',
  'cloudEndpoint',
] as const;

export const sharedOptions = () => OPTIONS.filter((o) => (SHARED_OPTION_KEYS as readonly string[]).includes(o.key));

export interface Connection {
  clusterId: string;
  etcd: EtcdConnectionOptions;
  prefix: string;
  archiveDir?: string;
  cloud?: { region: string; endpoint: string; credentialsFile?: string };
}

const endpoints = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(
    z
      .array(z.url({ protocol: /^https?$/, error: 'each endpoint must be an http(s) URL' }))
      .min(1)
      .max(16),
  );
const prefix = z
  .string()
  .regex(/^\/[A-Za-z0-9._/-]{0,200}[A-Za-z0-9._-]$/, 'an absolute key prefix without a trailing /');
const clusterId = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not a cluster id');

/**
 * Flags and environment (flag > env > ipamd's default) to connection settings. Same flags and
 * variables as ipamd; secrets only from files or the environment.
 */
export const resolveConnection = (
  flags: Record<string, string | undefined>,
  env: Readonly<Record<string, string | undefined>>,
  extra: { archiveDir?: string; timeoutMs: number },
): Connection => {
  const v: Record<string, string | undefined> = {};
  for (const o of sharedOptions()) v[o.key] = flags[o.key] ?? (env[o.env] || undefined) ?? o.default;
  const problems: string[] = [];
  const check = <T>(name: string, schema: z.ZodType<T>, raw: string | undefined): T | undefined => {
    if (raw === undefined) return undefined;
    const r = schema.safeParse(raw);
    if (!r.success) problems.push(`--${name}: ${r.error.issues[0]?.message}, got ${JSON.stringify(raw)}`);
    return r.success ? r.data : undefined;
  };
  const id = check('clusterid', clusterId, v.clusterid);
  if (v.clusterid === undefined) problems.push('--clusterid is required (or env ENI_IPAM_CLUSTER_ID)');
  const eps = check('etcd-endpoints', endpoints, v.etcdEndpoints) ?? [];
  const pre = check('etcd-prefix', prefix, v.etcdPrefix);
  if ((v.etcdCertFile === undefined) !== (v.etcdKeyFile === undefined))
    problems.push('--etcd-cert-file and --etcd-key-file go together');
  const password = v.etcdPasswordFile ? readSecret(v.etcdPasswordFile, problems) : env[SECRET_ENV.etcdPassword];
  if ((v.etcdUsername === undefined) !== (password === undefined))
    problems.push(
      `--etcd-username needs a password (--etcd-password-file or env ${SECRET_ENV.etcdPassword}), and back`,
    );
  const file = (p: string | undefined) => (p === undefined ? undefined : readSecretBuffer(p, problems));
  const ca = file(v.etcdCaFile);
  const cert = file(v.etcdCertFile);
  const key = file(v.etcdKeyFile);
  if (problems.length > 0) throw new IpamError('InvalidInput', problems.join('; '), { problems });
  const etcd: EtcdConnectionOptions = { endpoints: eps, callTimeoutMs: extra.timeoutMs };
  if (ca || cert) etcd.tls = { ca: ca ?? Buffer.alloc(0), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  if (v.etcdUsername && password) etcd.auth = { username: v.etcdUsername, password };
  const c: Connection = { clusterId: id as string, etcd, prefix: pre ?? `/eni-ipam/${id}` };
  if (extra.archiveDir) c.archiveDir = extra.archiveDir;
  if (v.region)
    c.cloud = {
      region: v.region,
      endpoint: v.cloudEndpoint ?? 'vpc.tencentcloudapi.com',
      ...(v.cloudCredentialsFile ? { credentialsFile: v.cloudCredentialsFile } : {}),
    };
  return c;
};

const readSecretBuffer = (path: string, problems: string[]): Buffer | undefined => {
  try {
    return readFileSync(path);
  } catch (e) {
    problems.push(`cannot read ${path}: ${(e as Error).message}`);
    return undefined;
  }
};
const readSecret = (path: string, problems: string[]) => readSecretBuffer(path, problems)?.toString().trim();

/**
 * The store with its default decoder (an envelope shape check): `loadHistory` decodes against
 * core's catalogue itself, and `history` decodes only the events about its subject.
 */
export const openStore = (c: Connection): EtcdEventStore =>
  new EtcdEventStore({
    connection: c.etcd,
    prefix: c.prefix,
    // fewer, larger range reads (a page of 5,000 events is a few MiB; the store shrinks it if too big)
    pageSize: 5000,
    ...(c.archiveDir ? { archiveDir: c.archiveDir } : {}),
  });

/** Archived segments: the manifest key plus the archiver's NOSPACE journal. */
export const archivedSegments = async (store: EtcdEventStore, archiveDir?: string): Promise<ArchiveSegment[]> => {
  let value: string | null;
  try {
    value = await store.client.get(store.keys.manifest).string();
  } catch (e) {
    throw new IpamError(
      'StoreUnavailable',
      `cannot read the archive manifest: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  const manifest = value ? (JSON.parse(value) as { segments: ArchiveSegment[] }).segments : [];
  return [...manifest, ...(await readPendingSegments(archiveDir))];
};

/** The archive for one history question: segments, their sidecar indexes, the segment reader. */
export const archiveAbout = (store: EtcdEventStore, archiveDir: string, subject: SegmentSubject): ArchiveAccess => {
  const reader = new ArchiveReader(archiveDir, validateEnvelope);
  const byFile = new Map<string, ArchiveSegment>();
  return {
    segments: async () => {
      const segs = await archivedSegments(store, archiveDir);
      for (const s of segs) byFile.set(s.file, s);
      return segs;
    },
    concerns: async (ref) =>
      segmentConcerns(await readSegmentIndex(archiveDir, byFile.get(ref.file) as ArchiveSegment), subject),
    read: (ref) => reader.read(byFile.get(ref.file) as ArchiveSegment),
  };
};

/** Streams with archived segments: the manifest key plus the archiver's NOSPACE journal. */
export const archivedStreams = async (store: EtcdEventStore, archiveDir?: string): Promise<string[]> => {
  let value: string | null;
  try {
    value = await store.client.get(store.keys.manifest).string();
  } catch (e) {
    throw new IpamError(
      'StoreUnavailable',
      `cannot read the archive manifest: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  const streams = new Set<string>();
  const add = (json: string) => {
    for (const s of (JSON.parse(json) as { segments: { stream: string }[] }).segments) streams.add(s.stream);
  };
  if (value) add(value);
  const pending = archiveDir ? join(archiveDir, 'pending.json') : undefined;
  if (pending && existsSync(pending)) add(readFileSync(pending, 'utf8'));
  return [...streams];
};

export const openArchiver = (store: EtcdEventStore, c: Connection): Archiver => {
  if (!c.archiveDir) throw new IpamError('InvalidInput', 'archive needs --archive-dir (where segment files go)');
  return new Archiver({ store, archiveDir: c.archiveDir, connection: c.etcd });
};

/** The cloud adapter for `verify --cloud` (credentials: file, else the SDK's env variables). */
export const openCloud = (c: Connection, env: Readonly<Record<string, string | undefined>>): VpcApi => {
  if (!c.cloud) throw new IpamError('InvalidInput', 'verify --cloud needs --region (or env ENI_IPAM_REGION)');
  const credentials = loadCredentials(c.cloud.credentialsFile ? { file: c.cloud.credentialsFile } : { env });
  const url = /^https?:\/\//.test(c.cloud.endpoint) ? new URL(c.cloud.endpoint) : undefined;
  return createTencentVpcApi({
    region: c.cloud.region,
    credentials,
    clusterId: c.clusterId,
    ...(url ? { connectTo: { host: url.hostname, port: Number(url.port || 80) } } : { endpoint: c.cloud.endpoint }),
  });
};
