import type { api } from '@eni-ipam/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import { statusOf } from './status.js';

/** Who may call a route: anyone (probes, metrics), the node in the path (or admin), admin only. */
export type Access = 'none' | 'node' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Set on the catch-all of a path for methods it does not serve: answered 405 at once. */
    allow?: string;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Sends `{code, message, details?}` with the status `statusOf` gives the code. */
export const sendError = (
  reply: FastifyReply,
  code: api.ApiErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply => {
  const { status, retryAfterS } = statusOf(code);
  if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
  const body: api.ApiError = { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) };
  return reply.code(status).type('application/json').send(body);
};

/** Registers one path: its handlers, and a 405 answer for every other method. */
export const pathMethods = (
  app: FastifyInstance,
  url: string,
  access: Access,
  handlers: Partial<Record<'GET' | 'POST' | 'DELETE', (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>>>,
): void => {
  const served = Object.keys(handlers) as ('GET' | 'POST' | 'DELETE')[];
  for (const m of served) {
    app.route({ method: m, url, config: { access }, handler: handlers[m] as never });
  }
  const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !served.includes(m as 'GET'));
  const allow = served.includes('GET') ? [...served, 'HEAD'] : served;
  const methods = served.includes('GET') ? others : [...others, 'HEAD'];
  app.route({ method: methods, url, config: { allow: allow.join(', ') }, handler: async () => undefined });
};
