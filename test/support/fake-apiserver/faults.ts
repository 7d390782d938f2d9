/**
 * Injected failures: a test says which requests should fail and how, for how many times.
 */
import type { ResourceRoute } from './resources.js';
import { ApiStatusError, type StatusReason } from './status.js';

export type FaultSpec = {
  /** HTTP method to match (GET, POST, PUT, PATCH, DELETE); any when absent. */
  method?: string;
  /** Resource plural to match (`nodes`, `pods`); any when absent. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** `status` to match only the status subresource. */
  subresource?: string;
  /** true: only watch requests; false: only non-watch requests; absent: both. */
  watch?: boolean;
  /** HTTP status to answer with. */
  code: number;
  /** Status reason; derived from `code` when absent. */
  reason?: StatusReason;
  message?: string;
  /** How many matching requests fail. Default 1; `Infinity` until removed. */
  times?: number;
};

/** A registered fault: how often it fired, and a way to remove it early. */
export type Fault = { readonly hits: number; remove(): void };

const reasons: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

type Entry = { spec: FaultSpec; left: number; hits: number };

export class Faults {
  private entries: Entry[] = [];

  add(spec: FaultSpec): Fault {
    const entry: Entry = { spec, left: spec.times ?? 1, hits: 0 };
    this.entries.push(entry);
    return {
      get hits() {
        return entry.hits;
      },
      remove: () => {
        this.entries = this.entries.filter((e) => e !== entry);
      },
    };
  }

  clear(): void {
    this.entries = [];
  }

  /** The error for this request if a fault matches it (and that fault's count goes down), else undefined. */
  take(method: string, route: ResourceRoute | undefined, watch: boolean): ApiStatusError | undefined {
    const entry = this.entries.find(({ spec: s }) => {
      if (s.method !== undefined && s.method.toUpperCase() !== method) return false;
      if (s.watch !== undefined && s.watch !== watch) return false;
      if (
        s.resource === undefined &&
        s.namespace === undefined &&
        s.name === undefined &&
        s.subresource === undefined
      ) {
        return true;
      }
      return (
        route !== undefined &&
        (s.resource === undefined || s.resource === route.def.plural) &&
        (s.namespace === undefined || s.namespace === route.namespace) &&
        (s.name === undefined || s.name === route.name) &&
        (s.subresource === undefined || s.subresource === route.subresource)
      );
    });
    if (!entry) return undefined;
    entry.hits += 1;
    entry.left -= 1;
    if (entry.left <= 0) this.entries = this.entries.filter((e) => e !== entry);
    const { code, reason, message } = entry.spec;
    return new ApiStatusError(code, reason ?? reasons[code] ?? 'InternalError', message ?? `injected fault (${code})`);
  }
}
