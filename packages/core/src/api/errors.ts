import { z } from 'zod';
import type { IpamErrorCode } from '../errors.js';

/**
 * Codes the HTTP layer itself answers with, before any domain code runs. They extend the
 * domain's `IpamErrorCode` on the wire only; no domain function throws them.
 */
export const HTTP_ERROR_CODES = [
  'Unauthenticated',
  'Forbidden',
  'RouteNotFound',
  'MethodNotAllowed',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'Internal',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** Every `code` an error body may carry. */
export type ApiErrorCode = IpamErrorCode | HttpErrorCode;

/**
 * Every non-2xx answer of the API: `{code, message, details?}`. `code` is stable (branch on it);
 * `message` is for people; `details` is structured context (validation issues, the leader's
 * address, a hint) and never holds secrets.
 */
export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;
