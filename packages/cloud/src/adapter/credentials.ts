/**
 * Cloud credentials, from the environment or a file. Read once at start-up and handed to the
 * adapter; never logged (the adapter's logger redacts them, see `createCloudLogger`).
 */
import { readFileSync } from 'node:fs';
import { IpamError } from '@eni-ipam/core';
import { z } from 'zod';

export interface CloudCredentials {
  secretId: string;
  secretKey: string;
  /** Session token of temporary credentials. */
  token?: string;
}

const fileSchema = z.object({
  secretId: z.string().min(1),
  secretKey: z.string().min(1),
  token: z.string().min(1).optional(),
});

/**
 * `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` / `TENCENTCLOUD_SESSION_TOKEN` from `env`,
 * or, when `file` is given, a JSON file `{ "secretId", "secretKey", "token"? }`.
 *
 * @example
 *   const credentials = loadCredentials({ env: process.env });
 */
export const loadCredentials = (source: {
  env?: Readonly<Record<string, string | undefined>>;
  file?: string;
}): CloudCredentials => {
  if (source.file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(source.file, 'utf8'));
    } catch (e) {
      throw new IpamError('InvalidInput', `credentials file ${source.file}: ${(e as Error).message}`, {
        file: source.file,
      });
    }
    const r = fileSchema.safeParse(raw);
    if (!r.success)
      throw new IpamError('InvalidInput', `credentials file ${source.file}: needs secretId and secretKey`, {
        file: source.file,
      });
    return r.data;
  }
  const env = source.env ?? {};
  const secretId = env.TENCENTCLOUD_SECRET_ID;
  const secretKey = env.TENCENTCLOUD_SECRET_KEY;
  if (!secretId || !secretKey)
    throw new IpamError(
      'InvalidInput',
      'TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must be set (or give a credentials file)',
    );
  const token = env.TENCENTCLOUD_SESSION_TOKEN;
  return token ? { secretId, secretKey, token } : { secretId, secretKey };
};
