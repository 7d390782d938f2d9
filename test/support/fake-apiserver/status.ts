/**
 * Kubernetes `Status` failures: every error the fake returns is one of these, with the HTTP code
 * and `reason` the real apiserver uses for the same situation.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export type StatusDetails = { name?: string; group?: string; kind?: string };

/** The wire form: `{kind:'Status', apiVersion:'v1', status:'Failure', reason, code, message}`. */
export type KubeStatus = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
};

/** Thrown inside the fake; the HTTP layer turns it into a `Status` body with `code` as the HTTP status. */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `pods "web-0" not found`: the apiserver's wording, lower-case kind plural and quoted name. */
const what = (plural: string, name: string) => `${plural} "${name}"`;

export const notFound = (plural: string, name: string) =>
  new ApiStatusError(404, 'NotFound', `${what(plural, name)} not found`, { name, kind: plural });

export const alreadyExists = (plural: string, name: string) =>
  new ApiStatusError(409, 'AlreadyExists', `${what(plural, name)} already exists`, { name, kind: plural });

export const conflict = (plural: string, name: string, why: string) =>
  new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${what(plural, name)}: ${why}`, {
    name,
    kind: plural,
  });

export const badRequest = (message: string) => new ApiStatusError(400, 'BadRequest', message);

export const invalid = (plural: string, name: string, why: string) =>
  new ApiStatusError(422, 'Invalid', `${what(plural, name)} is invalid: ${why}`, { name, kind: plural });

/** The watch-cache answer for a resourceVersion older than the retained history. */
export const expired = (requested: number, oldest: number) =>
  new ApiStatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
