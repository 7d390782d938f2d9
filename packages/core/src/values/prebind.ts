import { z } from 'zod';
import { parseWith } from './parse.js';

/** Pre-bind bounds of a warm pool: keep bound within [pods + min, pods + max]. */
export interface PreBindBounds {
  /** At least this many idle bound IPs (or ENIs in exclusive mode) beyond the pods. >= 0. */
  min: number;
  /** At most this many idle ones before slow release starts. >= min. */
  max: number;
}

/** The product's defaults: minPreBind = maxPreBind = 5. */
export const DEFAULT_PRE_BIND: PreBindBounds = { min: 5, max: 5 };

/** Upper limit on a bound, far above any instance's IP quota; guards against typos. */
export const MAX_PRE_BIND = 1024;

const bound = z.number().refine((n) => Number.isInteger(n) && n >= 0 && n <= MAX_PRE_BIND, {
  error: `must be an integer 0..${MAX_PRE_BIND}`,
  params: { code: 'InvalidPreBindBounds' },
});

/** PreBind schema: integers, 0 <= min <= max <= 1024; failures carry `InvalidPreBindBounds`. */
export const preBindSchema = z
  .strictObject({ min: bound, max: bound })
  .refine((b) => b.max >= b.min, { error: 'max must be >= min', params: { code: 'InvalidPreBindBounds' } });

/** Parses pre-bind bounds or throws `IpamError('InvalidPreBindBounds')`. */
export const parsePreBind = (input: unknown): PreBindBounds =>
  parseWith(preBindSchema, input, 'InvalidPreBindBounds', 'pre-bind bounds');
