import type { FastifyInstance } from 'fastify';
import { pathMethods } from './http-util.js';
import type { RouteDeps } from './node-routes.js';

/**
 * Introspection (admin token): `GET /v1/nodes`, `/v1/nodes/{node}`, `/v1/enis`, `/v1/claims`,
 * answered from this replica's projections. Unauthenticated: `/metrics` (Prometheus text),
 * `/healthz` (liveness) and `/readyz` (readiness: 503 with the failed checks when not ready).
 */
export const registerAdminRoutes = (app: FastifyInstance, deps: RouteDeps): void => {
  const { service, metrics } = deps;
  pathMethods(app, '/v1/nodes', 'admin', { GET: async (_req, reply) => reply.send(await service.listNodes()) });
  pathMethods(app, '/v1/nodes/:node', 'admin', {
    GET: async (req, reply) => reply.send(await service.node((req.params as { node: string }).node)),
  });
  pathMethods(app, '/v1/enis', 'admin', { GET: async (_req, reply) => reply.send(await service.enis()) });
  pathMethods(app, '/v1/claims', 'admin', { GET: async (_req, reply) => reply.send(await service.claims()) });
  pathMethods(app, '/metrics', 'none', {
    GET: async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
  pathMethods(app, '/healthz', 'none', {
    GET: async (_req, reply) => {
      const probe = await service.health();
      return reply.code(probe.ok ? 200 : 503).send(probe);
    },
  });
  pathMethods(app, '/readyz', 'none', {
    GET: async (_req, reply) => {
      const probe = await service.ready();
      return reply.code(probe.ok ? 200 : 503).send(probe);
    },
  });
};
