import { readFileSync } from 'node:fs';
import { IpamError, type IpamErrorCode, type Projection, type Snapshot } from '@eni-ipam/core';
import { z } from 'zod';
import { SECRET_ENV } from '../config/options.js';
import type { HistorySubject } from './commands/history.js';

/** A running ipamd to ask instead of replaying the log: its base URL and the admin token. */
export interface IpamdTarget {
  url: string;
  token: string;
  timeoutMs: number;
}

/** Env of `--ipamd`. The token: `--admin-token-file` / ENI_IPAM_ADMIN_TOKEN_FILE or ENI_IPAM_ADMIN_TOKEN (as ipamd). */
export const IPAMD_ENV = 'IPAMCTL_IPAMD';
export const ADMIN_TOKEN_FILE_ENV = 'ENI_IPAM_ADMIN_TOKEN_FILE';

const urlSchema = z.url({ protocol: /^https?$/, error: '--ipamd must be an http(s) URL' });

/** `--ipamd URL` (or IPAMCTL_IPAMD) with its token; undefined when neither is given (offline mode). */
export const resolveIpamd = (
  flags: { ipamd?: string; adminTokenFile?: string },
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): IpamdTarget | undefined => {
  const raw = flags.ipamd ?? (env[IPAMD_ENV] || undefined);
  if (raw === undefined) return undefined;
  const url = urlSchema.safeParse(raw);
  if (!url.success) throw new IpamError('InvalidInput', `--ipamd: ${JSON.stringify(raw)} is not an http(s) URL`);
  const file = flags.adminTokenFile ?? (env[ADMIN_TOKEN_FILE_ENV] || undefined);
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new IpamError('InvalidInput', `--admin-token-file: cannot read ${file}`, { file }, { cause: e });
    }
  } else token = env[SECRET_ENV.adminToken] || undefined;
  if (!token)
    throw new IpamError(
      'InvalidInput',
      `--ipamd needs the admin token: --admin-token-file, ${ADMIN_TOKEN_FILE_ENV} or ${SECRET_ENV.adminToken}`,
    );
  return { url: url.data.replace(/\/+$/, ''), token, timeoutMs };
};

/** Codes ipamd answers for bad input: kept as they are (ipamctl exits 2 on them, as offline). */
const KEPT: readonly string[] = ['InvalidInput', 'InvalidIp', 'InvalidEniId', 'InvalidNodeName'];

/** GET a JSON document from ipamd; errors mapped to IpamdUnavailable (exit 3) or IpamdRejected / the input code. */
export const getJson = async (t: IpamdTarget, path: string): Promise<unknown> => {
  let res: Response;
  try {
    res = await fetch(t.url + path, {
      headers: { authorization: `Bearer ${t.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(t.timeoutMs),
    });
  } catch (e) {
    throw new IpamError(
      'IpamdUnavailable',
      `cannot reach ipamd at ${t.url}: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok && body !== undefined) return body;
  const err = (body ?? {}) as { code?: string; message?: string };
  const message = `ipamd ${res.status}: ${err.message ?? text.slice(0, 200)}`;
  if (err.code && KEPT.includes(err.code)) throw new IpamError(err.code as IpamErrorCode, message);
  if (res.status >= 500) throw new IpamError('IpamdUnavailable', message, { status: res.status });
  throw new IpamError('IpamdRejected', message, { status: res.status, code: err.code });
};

/** The route of a history question (`/v1/history/...?since=&until=`). */
export const historyPath = (s: HistorySubject, o: { since?: string; until?: string }): string => {
  const base =
    s.kind === 'ip'
      ? `/v1/history/ip/${encodeURIComponent(s.ip)}`
      : s.kind === 'pod'
        ? `/v1/history/pod/${s.pod.split('/').map(encodeURIComponent).join('/')}`
        : `/v1/history/eni/${encodeURIComponent(s.eniId)}`;
  const q = new URLSearchParams();
  if (o.since !== undefined) q.set('since', o.since);
  if (o.until !== undefined) q.set('until', o.until);
  const qs = q.toString();
  return qs ? `${base}?${qs}` : base;
};

/** `GET /v1/projection`'s answer as a snapshot named `ipamd-live` (for `verify`'s comparison). */
export const liveProjection = (body: unknown): Snapshot<Projection> => {
  const b = body as { revision?: unknown; projection?: unknown };
  if (typeof b.revision !== 'number' || typeof b.projection !== 'object' || b.projection === null)
    throw new IpamError('IpamdRejected', 'ipamd /v1/projection: not a projection');
  return { name: 'ipamd-live', seq: 0, revision: b.revision, state: b.projection as Projection };
};
