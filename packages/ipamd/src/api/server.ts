import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type api, IpamError, isIpamError, nodeNameSchema } from '@eni-ipam/core';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { type Authenticator, authorize, type Principal } from '../auth/authenticator.js';
import type { IpamdMetrics } from '../observability/metrics.js';
import { registerAdminRoutes } from './admin-routes.js';
import { abortOpenFeeds } from './feed.js';
import { type HistorySource, registerHistoryRoutes } from './history-routes.js';
import { sendError } from './http-util.js';
import { registerNodeRoutes } from './node-routes.js';
import { type IpamService, type LeaderRouter, localOnly } from './service.js';
import { statusOf } from './status.js';

export interface ApiServerOptions {
  service: IpamService;
  authenticator: Authenticator;
  metrics: IpamdMetrics;
  logger: Logger;
  /** This replica's id, sent with forwarded writes. */
  replicaId: string;
  /** Followers forward writes; default: every write is local. */
  router?: LeaderRouter;
  /** Largest request body accepted, bytes (default 64 KiB); larger ones get 413. */
  bodyLimit?: number;
  /** An empty line is written on idle feeds this often, so dead peers are noticed (default 15 s). */
  feedHeartbeatMs?: number;
  /** Timeout of a write forwarded to the leader (default 10 s). */
  forwardTimeoutMs?: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The live audit index (the projection host): serves `/v1/history/*` (see history-routes.ts). */
  history?: HistorySource;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const fastifyCodeOf = (e: FastifyError): api.ApiErrorCode => {
  switch (e.statusCode) {
    case 413:
      return 'PayloadTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 404:
      return 'RouteNotFound';
    default:
      return e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 ? 'InvalidInput' : 'Internal';
  }
};

/**
 * Builds ipamd's HTTP API on fastify (chosen over bare node:http for its maintained router with
 * path parameters, body limits answered 413 before buffering, strict JSON parsing with
 * prototype-poisoning protection, pino integration with a request id on each line, and
 * `https` from the same code). Routes: see API.md. Not listening yet: call `listen`.
 */
export const buildApiServer = (opts: ApiServerOptions): FastifyInstance => {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // close() drops every connection (open feeds are ended first, in preClose): a fresh socket
    // that never sent a request is not "idle" to node:http and would hold close() until timeout
    forceCloseConnections: true,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // probes and scrapes every few seconds would drown the log
      disableRequestLogging: (req: { url?: string }) => QUIET.has(req.url ?? ''),
    }),
    genReqId: (req: IncomingMessage) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    // absolute paths only, no // collapse, no trailing-slash aliases: one spelling per resource
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 256 },
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  // JSON only: a text/plain body is 415, not a string for the schema to puzzle over
  app.removeContentTypeParser('text/plain');
  // an empty JSON body is no body (clients send content-type on DELETE too); anything else goes
  // through fastify's parser, which refuses __proto__ and constructor.prototype keys
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') done(null, undefined);
    else json(req, body as string, done);
  });
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const cfg = req.routeOptions.config;
    if (cfg.allow !== undefined) {
      reply.header('allow', cfg.allow);
      return sendError(reply, 'MethodNotAllowed', `${req.method} is not allowed here (allowed: ${cfg.allow})`);
    }
    const access = cfg.access ?? 'none';
    if (access === 'none') return;
    const node = (req.params as { node?: string }).node;
    if (node !== undefined && !nodeNameSchema.safeParse(node).success) {
      return sendError(reply, 'InvalidNodeName', `not a node name (DNS-1123 subdomain): ${JSON.stringify(node)}`);
    }
    const who = await opts.authenticator.authenticate(req.headers);
    const verdict = authorize(who, access === 'node' && node !== undefined ? { node } : 'admin');
    if (!verdict.ok) {
      if (verdict.status === 401) reply.header('www-authenticate', 'Bearer realm="eni-ipam"');
      return sendError(reply, verdict.code, verdict.message);
    }
    req.principal = who as Principal;
    if (node !== undefined && !(await opts.service.hasNode(node))) {
      return sendError(reply, 'NodeNotFound', `unknown node ${node}`);
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    opts.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    opts.metrics.httpSeconds.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (isIpamError(err)) {
      const { status } = statusOf(err.code);
      req.log[status >= 500 ? 'error' : 'info']({ code: err.code, details: err.details }, err.message);
      return sendError(reply, err.code, err.message, { ...err.details });
    }
    const code = fastifyCodeOf(err);
    if (code === 'Internal') {
      req.log.error({ err }, 'internal error');
      return sendError(reply, 'Internal', `internal error (request ${req.id})`);
    }
    return sendError(reply, code, err.message);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'RouteNotFound', `no route ${req.method} ${req.url.split('?')[0]}`),
  );

  app.addHook('preClose', async () => abortOpenFeeds(app));

  const ctx = { ...opts, router: opts.router ?? localOnly };
  registerNodeRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  if (opts.history) registerHistoryRoutes(app, opts.history);
  return app;
};

/** Starts listening; returns the base URL (`http://127.0.0.1:PORT`). */
export const listen = async (app: FastifyInstance, host: string, port: number): Promise<string> => {
  await app.listen({ host, port });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new IpamError('InvalidInput', 'not listening on TCP');
  const scheme = app.initialConfig.https ? 'https' : 'http';
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${scheme}://${h}:${addr.port}`;
};
