import { once } from 'node:events';
import { api } from '@eni-ipam/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-util.js';
import type { RouteDeps } from './node-routes.js';

/** Feeds open on this server, so closing the server can end them instead of waiting. */
const openFeeds = new WeakMap<object, Set<AbortController>>();

export const abortOpenFeeds = (owner: object): void => {
  for (const ac of openFeeds.get(owner) ?? []) ac.abort();
};

/**
 * `GET /v1/nodes/{node}/feed?from=REV`: newline-delimited JSON, one `FeedEvent` per line with
 * revision > REV, in order, until the client goes away. A `from` older than the log can replay
 * is answered 410 RevisionCompacted before any line (the agent reloads `GET .../state` and
 * resumes from its revision). Idle streams carry an empty line every `feedHeartbeatMs`, which
 * readers skip; it makes a dead peer visible to TCP. Writes respect backpressure (wait for
 * `drain`), so a slow agent slows its own feed, not the server.
 */
export const serveFeed = async (deps: RouteDeps, req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
  const { node } = req.params as { node: string };
  const fromRaw = (req.query as Record<string, unknown>).from;
  const from = api.FeedFromSchema.safeParse(fromRaw ?? '');
  if (!from.success) {
    return sendError(
      reply,
      'InvalidInput',
      `from must be a non-negative integer revision, got ${JSON.stringify(fromRaw)}`,
    );
  }
  const ac = new AbortController();
  // may reject with RevisionCompacted (410) before anything is sent
  const feed = await deps.service.nodeFeed(node, from.data, ac.signal);

  const owner = reply.server;
  const feeds = openFeeds.get(owner) ?? new Set();
  openFeeds.set(owner, feeds);
  feeds.add(ac);
  reply.hijack();
  const res = reply.raw;
  const started = process.hrtime.bigint();
  res.on('close', () => ac.abort());
  res.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-store',
    'x-request-id': String(req.id),
  });
  res.flushHeaders();
  deps.metrics.feedStreams.inc();
  req.log.info({ node, from: from.data }, 'feed opened');
  const heartbeat = setInterval(() => res.write('\n'), deps.feedHeartbeatMs ?? 15_000);
  let sent = 0;
  try {
    for await (const event of feed) {
      if (ac.signal.aborted) break;
      sent++;
      if (!res.write(`${JSON.stringify(event)}\n`)) {
        await Promise.race([once(res, 'drain'), once(ac.signal, 'abort')]);
      }
    }
  } catch (e) {
    // the stream is already 200: end it; the agent resumes from its last revision (and gets
    // the 410 then, if that is what went wrong)
    if (!ac.signal.aborted) req.log.warn({ err: e, node }, 'feed ended by an error');
  } finally {
    clearInterval(heartbeat);
    feeds.delete(ac);
    deps.metrics.feedStreams.dec();
    const route = '/v1/nodes/:node/feed';
    deps.metrics.httpRequests.inc({ method: 'GET', route, status: '200' });
    deps.metrics.httpSeconds.observe({ method: 'GET', route }, Number(process.hrtime.bigint() - started) / 1e9);
    req.log.info({ node, sent }, 'feed closed');
    res.end();
  }
  return reply;
};
