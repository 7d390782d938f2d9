import { api, IpamError } from '@eni-ipam/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { serveFeed } from './feed.js';
import { forwardWrite } from './forward.js';
import { pathMethods, sendError } from './http-util.js';
import type { ApiServerOptions } from './server.js';
import type { LeaderRouter, RequestContext } from './service.js';

export type RouteDeps = ApiServerOptions & { router: LeaderRouter };

type Params = { node: string; containerId?: string };

/** Validates a body or answers 400 listing every issue; undefined when it answered. */
export const parseBody = <T>(schema: z.ZodType<T>, req: FastifyRequest, reply: FastifyReply): T | undefined => {
  const r = schema.safeParse(req.body);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  sendError(reply, 'InvalidInput', `invalid body${first?.path ? ` at ${first.path}` : ''}: ${first?.message}`, {
    issues,
  });
  return undefined;
};

const ctxOf = (req: FastifyRequest): RequestContext => ({
  requestId: String(req.id),
  principal: req.principal ?? { kind: 'admin' },
});

/**
 * Writes go where the leader router says: here, to the leader (forwarded as is), or nowhere
 * (503 NotLeader). A write that was already forwarded once is never forwarded again.
 * Returns true when the write is answered by someone else.
 */
const routedElsewhere = async (deps: RouteDeps, req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
  const route = deps.router.routeWrite();
  if (route.kind === 'local') return false;
  if (route.kind === 'unavailable' || req.headers['x-eni-ipam-forwarded-by'] !== undefined) {
    const reason = route.kind === 'unavailable' ? route.reason : 'leadership moved while the write was forwarded';
    sendError(reply, 'NotLeader', `this replica is not the leader: ${reason}`);
    return true;
  }
  await forwardWrite(deps, route.leaderUrl, req, reply);
  return true;
};

/** `/v1/nodes/{node}/...`: the node agent's API (allocate, release, state, feed, acks). */
export const registerNodeRoutes = (app: FastifyInstance, deps: RouteDeps): void => {
  const { service, metrics } = deps;

  pathMethods(app, '/v1/nodes/:node/allocations', 'node', {
    POST: async (req, reply) => {
      const { node } = req.params as Params;
      const body = parseBody(api.AllocateRequestSchema, req, reply);
      if (!body) return reply;
      if (await routedElsewhere(deps, req, reply)) return reply;
      const stop = metrics.allocationSeconds.startTimer({ mode: body.mode });
      try {
        const allocation = await service.allocate(node, body, ctxOf(req));
        metrics.allocations.inc({ mode: body.mode, outcome: 'ok' });
        req.log.info({ node, containerId: body.containerId, ip: allocation.ip, eniId: allocation.eniId }, 'allocated');
        return reply.code(200).send(allocation);
      } catch (e) {
        metrics.allocations.inc({ mode: body.mode, outcome: e instanceof IpamError ? e.code : 'Internal' });
        throw e;
      } finally {
        stop();
      }
    },
  });

  pathMethods(app, '/v1/nodes/:node/allocations/:containerId', 'node', {
    DELETE: async (req, reply) => {
      const { node, containerId } = req.params as Params;
      const id = api.ContainerIdSchema.safeParse(containerId);
      if (!id.success) return sendError(reply, 'InvalidInput', `not a container id: ${JSON.stringify(containerId)}`);
      if (await routedElsewhere(deps, req, reply)) return reply;
      try {
        await service.release(node, id.data, ctxOf(req));
        metrics.releases.inc({ outcome: 'ok' });
        req.log.info({ node, containerId: id.data }, 'released');
        return reply.code(204).send();
      } catch (e) {
        metrics.releases.inc({ outcome: e instanceof IpamError ? e.code : 'Internal' });
        throw e;
      }
    },
  });

  pathMethods(app, '/v1/nodes/:node/state', 'node', {
    GET: async (req, reply) => reply.send(await service.nodeState((req.params as Params).node)),
  });

  pathMethods(app, '/v1/nodes/:node/feed', 'node', {
    GET: async (req, reply) => serveFeed(deps, req, reply),
  });

  pathMethods(app, '/v1/nodes/:node/acks', 'node', {
    POST: async (req, reply) => {
      const { node } = req.params as Params;
      const body = parseBody(api.AckRequestSchema, req, reply);
      if (!body) return reply;
      if (await routedElsewhere(deps, req, reply)) return reply;
      await service.ack(node, body.revision, ctxOf(req));
      metrics.nodeAckedRevision.set({ node }, body.revision);
      return reply.code(204).send();
    },
  });
};
