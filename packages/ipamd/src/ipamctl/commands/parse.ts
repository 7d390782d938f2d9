import { IpamError, isIpamError, parseEniId, parseIpv4, parseNodeName } from '@eni-ipam/core';

/**
 * Operator input of ipamctl, checked before anything is read: every bad value is an
 * `InvalidInput` (or core's own code for IPs and ENI ids) naming the argument.
 */
const invalid = (what: string, got: string, hint: string): never => {
  throw new IpamError('InvalidInput', `${what}: ${JSON.stringify(got)} is not ${hint}`, { got });
};

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO-8601 time (`2026-01-01`, `2026-01-01T10:00:00Z`) to epoch ms. */
export const parseTime = (s: string, what = 'time'): number => {
  const ms = ISO.test(s) ? Date.parse(s) : Number.NaN;
  return Number.isNaN(ms) ? invalid(what, s, 'an ISO-8601 time (e.g. 2026-01-01T10:00:00Z)') : ms;
};

export const parseRevision = (s: string): number =>
  /^[1-9]\d{0,15}$/.test(s) ? Number(s) : invalid('--revision', s, 'a positive integer');

export const parseCount = (s: string, what: string, max = 1_000_000): number =>
  /^\d{1,9}$/.test(s) && Number(s) <= max ? Number(s) : invalid(what, s, `an integer 0..${max}`);

const rethrow = <T>(what: string, got: string, f: () => T): T => {
  try {
    return f();
  } catch (e) {
    if (isIpamError(e))
      throw new IpamError(e.code, `${what} ${JSON.stringify(got)}: ${e.message}`, { got }, { cause: e });
    throw e;
  }
};

export const parseIp = (s: string): string => rethrow('IP', s, () => parseIpv4(s));
export const parseEni = (s: string): string => rethrow('ENI', s, () => parseEniId(s));
export const parseNode = (s: string): string => rethrow('node', s, () => parseNodeName(s));

/** `namespace/name` of a pod. */
export const parsePod = (s: string): string => {
  const m = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/.exec(s);
  return m ? s : invalid('pod', s, 'NAMESPACE/NAME');
};

/** An optional [since, until] window of ISO times. */
export interface Window {
  since?: number;
  until?: number;
}

export const parseWindow = (o: { since?: string; until?: string }): Window => {
  const w: Window = {};
  if (o.since !== undefined) w.since = parseTime(o.since, '--since');
  if (o.until !== undefined) w.until = parseTime(o.until, '--until');
  if (w.since !== undefined && w.until !== undefined && w.since > w.until)
    throw new IpamError('InvalidInput', `--since ${o.since} is after --until ${o.until}`);
  return w;
};

/** True if [from, to) (to absent: still open) overlaps the window. */
export const overlaps = (w: Window, from: string, to?: string): boolean =>
  (w.until === undefined || Date.parse(from) <= w.until) &&
  (w.since === undefined || to === undefined || Date.parse(to) >= w.since);

export const inWindow = (w: Window, at: string): boolean => overlaps(w, at, at);
