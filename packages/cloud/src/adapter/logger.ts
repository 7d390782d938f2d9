/** The adapter's pino logger: secrets are redacted wherever they appear in a log object. */
import { type DestinationStream, type Logger, pino } from 'pino';

export const REDACT_PATHS = [
  'secretId',
  'secretKey',
  'token',
  'credentials',
  'credential',
  'authorization',
  '*.secretId',
  '*.secretKey',
  '*.token',
  '*.credentials',
  '*.credential',
  '*.authorization',
  'headers["x-tc-token"]',
];

export const createCloudLogger = (opts: { level?: string; destination?: DestinationStream } = {}): Logger =>
  pino(
    { name: 'eni-ipam-cloud', level: opts.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.destination,
  );
