import { type AuditIndex, IpamError, type Projection } from '@eni-ipam/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { eniHistory, ipHistory, podHistory } from '../ipamctl/commands/history.js';
import { parseEni, parseIp, parsePod, parseWindow, type Window } from '../ipamctl/commands/parse.js';
import { pathMethods, sendError } from './http-util.js';

/** Where the history routes read from: the projection host's live audit index. */
export interface HistorySource {
  readonly audit: AuditIndex;
  /** Global revision of the last applied event (sent as `x-applied-revision`). */
  readonly appliedRevision: number;
  /** The projection of every stream (for `ipamctl verify --ipamd`). */
  readonly projection: Projection;
  /** False until caught up with the log. */
  readonly ready: boolean;
  /** False until the index covers the whole log (answered 503 then: a partial one would mislead). */
  readonly auditReady: boolean;
  /** Why the index could not be rebuilt (e.g. archived segments but no archive dir), if so. */
  readonly auditFailure?: unknown;
}

type Query = { since?: unknown; until?: unknown };

/** `?since=&until=` (ISO-8601) as a window; a repeated or malformed value is InvalidInput (400). */
const windowOf = (req: FastifyRequest): Window => {
  const q = (req.query ?? {}) as Query;
  const one = (v: unknown, what: string): string | undefined => {
    if (v === undefined || typeof v === 'string') return v;
    throw new IpamError('InvalidInput', `${what}: give one ISO-8601 time`, { got: v });
  };
  const since = one(q.since, 'since');
  const until = one(q.until, 'until');
  return parseWindow({ ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
};

/**
 * `ipamctl history` served by ipamd (admin token): `GET /v1/history/ip/{ip}`,
 * `/v1/history/pod/{namespace}/{name}`, `/v1/history/eni/{eniId}`, each with optional
 * `?since=&until=` ISO-8601 times. Answered from the audit index the projection host keeps live
 * (fed by the same subscription as the other projections), so a question costs one lookup and a
 * filter of one key's spans, whatever the length of the log; ipamctl's offline path builds the
 * same entry from etcd + archive, through the same query functions (`commands/history.ts`).
 * Input is checked with ipamctl's parsers: a malformed IP, pod, ENI or time range is 400 and
 * reads nothing. A well-formed subject the log never saw has an empty history (200), as offline.
 * `GET /v1/projection`: the projection of every stream at its revision (`ipamctl verify
 * --ipamd` compares it with the replay of the log up to that revision).
 */
export const registerHistoryRoutes = (app: FastifyInstance, src: HistorySource): void => {
  const answer = (reply: FastifyReply, f: (idx: AuditIndex) => unknown) => {
    if (!src.auditReady) {
      const why = src.auditFailure;
      return sendError(
        reply,
        'StoreUnavailable',
        why === undefined
          ? 'the audit index is still catching up with the log'
          : `the audit index could not be rebuilt: ${why instanceof Error ? why.message : String(why)}`,
      );
    }
    reply.header('x-applied-revision', String(src.appliedRevision));
    return reply.send(f(src.audit));
  };
  pathMethods(app, '/v1/projection', 'admin', {
    GET: async (_req, reply) => {
      if (!src.ready) return sendError(reply, 'StoreUnavailable', 'the projections are still catching up with the log');
      const projection = src.projection;
      return reply.send({ revision: projection.revision, projection });
    },
  });
  pathMethods(app, '/v1/history/ip/:ip', 'admin', {
    GET: async (req, reply) => {
      const ip = parseIp((req.params as { ip: string }).ip);
      const w = windowOf(req);
      return answer(reply, (idx) => ipHistory(idx, ip, w));
    },
  });
  pathMethods(app, '/v1/history/pod/:namespace/:name', 'admin', {
    GET: async (req, reply) => {
      const p = req.params as { namespace: string; name: string };
      const pod = parsePod(`${p.namespace}/${p.name}`);
      const w = windowOf(req);
      return answer(reply, (idx) => podHistory(idx, pod, w));
    },
  });
  pathMethods(app, '/v1/history/eni/:eniId', 'admin', {
    GET: async (req, reply) => {
      const eni = parseEni((req.params as { eniId: string }).eniId);
      const w = windowOf(req);
      return answer(reply, (idx) => eniHistory(idx, eni, w));
    },
  });
};
