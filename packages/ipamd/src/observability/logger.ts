import pino, { type DestinationStream, type Logger } from 'pino';
import type { IpamdConfig } from '../config/config.js';

/**
 * Log paths censored on every line, wherever a secret could appear: request headers, tokens,
 * etcd passwords, cloud keys, the cluster secret. A test plants each of them and greps the output.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'secret',
  '*.secret',
  'clusterSecret',
  '*.clusterSecret',
  '*.*.clusterSecret',
  'adminToken',
  '*.adminToken',
  '*.*.adminToken',
  'secretKey',
  '*.secretKey',
  '*.*.secretKey',
  '*.*.*.secretKey',
  'secretId',
  '*.secretId',
  '*.*.secretId',
  '*.*.*.secretId',
];

export const CENSOR = '[redacted]';

export interface LoggerOptions {
  level: IpamdConfig['logLevel'] | 'silent';
  /** This replica; on every line. */
  replicaId?: string;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
}

/** Request lines carry the headers (user agent, request id; credentials are censored by REDACT_PATHS). */
const requestSerializer = (req: {
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}): Record<string, unknown> => ({
  method: req.method,
  url: req.url,
  remoteAddress: req.ip,
  headers: req.headers ? { ...req.headers } : undefined,
});

/** The process logger: JSON lines, secrets redacted, `service` and `replica` on each line. */
export const createLogger = (opts: LoggerOptions): Logger =>
  pino(
    {
      level: opts.level,
      base: { service: 'ipamd', ...(opts.replicaId ? { replica: opts.replicaId } : {}) },
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: requestSerializer, err: pino.stdSerializers.err },
    },
    opts.destination ?? pino.destination(1),
  );

/** The configuration as it may be logged at start-up: secret values replaced, file paths kept. */
export const describeConfig = (c: IpamdConfig): Record<string, unknown> => {
  const hide = (s: { file: string } | { value: string } | undefined) =>
    s === undefined ? undefined : 'file' in s ? { file: s.file } : { value: CENSOR };
  return {
    ...c,
    etcd: { ...c.etcd, auth: c.etcd.auth && { username: c.etcd.auth.username, password: hide(c.etcd.auth.password) } },
    cloud: {
      ...c.cloud,
      credentials: 'file' in c.cloud.credentials ? c.cloud.credentials : { secretId: CENSOR, secretKey: CENSOR },
    },
    auth: { ...c.auth, clusterSecret: hide(c.auth.clusterSecret), adminToken: hide(c.auth.adminToken) },
  };
};
