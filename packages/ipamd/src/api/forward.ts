import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-util.js';
import type { RouteDeps } from './node-routes.js';

/** Header naming the replica that forwarded a write; a forwarded write is never forwarded again. */
export const FORWARDED_BY = 'x-eni-ipam-forwarded-by';

/**
 * Forwards a validated write to the leader with the caller's credentials and request id, and
 * relays the leader's answer (status, body, Retry-After) unchanged. If the leader cannot be
 * reached the caller gets 503 NotLeader with the leader's address, and retries.
 */
export const forwardWrite = async (
  deps: RouteDeps,
  leaderUrl: string,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> => {
  const headers: Record<string, string> = { [FORWARDED_BY]: deps.replicaId, 'x-request-id': String(req.id) };
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  const hasBody = req.body !== undefined && req.method !== 'DELETE';
  if (hasBody) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(req.url, leaderUrl), {
      method: req.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.forwardTimeoutMs ?? 10_000),
    });
  } catch (e) {
    req.log.warn({ err: e, leader: leaderUrl }, 'forward to leader failed');
    sendError(reply, 'NotLeader', 'this replica is not the leader and the leader did not answer', {
      leader: leaderUrl,
    });
    return;
  }
  const text = await res.text();
  req.log.info({ leader: leaderUrl, status: res.status }, 'write forwarded to the leader');
  for (const h of ['content-type', 'retry-after', 'allow', 'www-authenticate']) {
    const v = res.headers.get(h);
    if (v !== null) reply.header(h, v);
  }
  reply.code(res.status).send(text === '' ? undefined : text);
};
