import type { z } from 'zod';
import { IpamError, type IpamErrorCode } from '../errors.js';

/**
 * Parses `input` with a zod schema and turns a failure into one `IpamError`. A value schema
 * can name its own stable code in a custom issue's `params.code` (e.g. `InvalidSubnetId`);
 * the first such issue wins, else `fallback` is used. Details carry every issue (path and
 * message) so an API body can show them all.
 */
export const parseWith = <T>(schema: z.ZodType<T>, input: unknown, fallback: IpamErrorCode, what: string): T => {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const codeOf = (i: z.core.$ZodIssue): IpamErrorCode | undefined =>
    i.code === 'custom' ? (i.params as { code?: IpamErrorCode } | undefined)?.code : undefined;
  const coded = r.error.issues.find((i) => codeOf(i) !== undefined);
  const code = (coded && codeOf(coded)) ?? fallback;
  const first = coded ?? r.error.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.map(String).join('.')}` : '';
  throw new IpamError(code, `invalid ${what}${where}: ${first?.message ?? 'malformed'}`, { issues });
};
