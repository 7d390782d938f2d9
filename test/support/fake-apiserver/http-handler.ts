/**
 * The HTTP surface of the fake apiserver: authentication, injected faults, discovery, and the
 * REST verbs on the resource table (list, watch, get, create, update, patch, delete).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Faults } from './faults.js';
import { deleteOptionsSchema, type ObjectStore } from './object-store.js';
import { patchTypeOf } from './patch.js';
import { apiVersionOf, type KubeObject, type ResourceDef, type ResourceRoute, routeOf } from './resources.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import { ApiStatusError, badRequest } from './status.js';
import { type OpenWatch, serveWatch } from './watch-stream.js';

/** One request as the server saw it, for assertions such as "the node status was patched with a JSON patch". */
export type RecordedRequest = {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly body?: unknown;
};

export type HandlerContext = {
  readonly store: ObjectStore;
  readonly resources: readonly ResourceDef[];
  readonly faults: Faults;
  readonly openWatches: Set<OpenWatch>;
  readonly requests: RecordedRequest[];
  /** The oldest recorded requests are dropped beyond this many. */
  readonly requestLogLimit: number;
  readonly token: string | undefined;
  readonly bookmarkIntervalMs: number;
  readonly defaultWatchTimeoutSeconds: number | undefined;
  /** ServiceAccount tokens TokenReview knows, with the user each one is. */
  readonly serviceAccountTokens: Map<string, TokenUser>;
};

/** What a TokenReview says about an authenticated token (`status.user`). */
export type TokenUser = {
  username: string;
  uid?: string;
  groups?: string[];
  /** e.g. `authentication.kubernetes.io/node-name` for a pod-bound token. */
  extra?: Record<string, string[]>;
};

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** TokenReview: not stored, answered from the known tokens (201, as the real apiserver). */
const reviewToken = (ctx: HandlerContext, res: ServerResponse, body: unknown) => {
  const spec = (body as { spec?: { token?: unknown; audiences?: unknown } } | undefined)?.spec;
  if (typeof spec?.token !== 'string' || spec.token === '') {
    throw new ApiStatusError(
      422,
      'Invalid',
      'TokenReview.authentication.k8s.io is invalid: spec.token: Required value',
    );
  }
  const user = ctx.serviceAccountTokens.get(spec.token);
  sendJson(res, 201, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null },
    spec,
    status: user ? { authenticated: true, user, audiences: [] } : { user: {}, error: 'invalid bearer token' },
  });
};

/** The apiserver's own limit on request bodies. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const UNAUTHENTICATED_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

const sendJson = (res: ServerResponse, code: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

const sendError = (res: ServerResponse, err: ApiStatusError) => {
  if (err.code === 429) res.setHeader('Retry-After', '1');
  sendJson(res, err.code, err.toStatus());
};

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiStatusError(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
};

/** resourceVersion query value: absent/empty -> undefined, else a non-negative integer. */
const parseRv = (value: string | null): number | undefined => {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version: "${value}"`);
  return Number(value);
};

const listOf = (def: ResourceDef, rv: number, items: KubeObject[]) => ({
  kind: `${def.kind}List`,
  apiVersion: apiVersionOf(def),
  metadata: { resourceVersion: String(rv) },
  // Like the real apiserver, list items carry no kind/apiVersion of their own.
  items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
});

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** /version, /api, /apis and the per-group resource lists, enough for kubectl and discovery clients. */
const discovery = (ctx: HandlerContext, path: string): unknown => {
  if (path === '/version')
    return { major: '1', minor: '34', gitVersion: 'v1.34.0-eni-ipam-fake', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  const groups = [...new Set(ctx.resources.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))];
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((gv) => {
        const [name, version] = gv.split('/') as [string, string];
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      }),
    };
  }
  const gv = path === '/api/v1' ? 'v1' : groups.find((g) => path === `/apis/${g}`);
  if (gv === undefined) return undefined;
  const defs = ctx.resources.filter((r) => apiVersionOf(r) === gv);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: defs.flatMap((r) => [
      { name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS },
      ...(r.hasStatus
        ? [
            {
              name: `${r.plural}/status`,
              singularName: '',
              namespaced: r.namespaced,
              kind: r.kind,
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
    ]),
  };
};

const serverNotFound = () => new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource');
const methodNotAllowed = (method: string) =>
  new ApiStatusError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );

/** Serves one request on a resource route. Throws ApiStatusError for failures. */
const serveResource = async (
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  query: URLSearchParams,
  body: unknown,
) => {
  const { def, namespace, name, subresource } = route;
  const method = req.method ?? 'GET';
  if (subresource !== undefined && (subresource !== 'status' || !def.hasStatus)) throw serverNotFound();
  const status = subresource === 'status';
  if (query.get('dryRun')) throw badRequest('dryRun is not supported by the fake apiserver');

  if (method === 'GET' && (query.get('watch') === 'true' || query.get('watch') === '1')) {
    const labels = labelMatcher(query.get('labelSelector') ?? undefined);
    const fields = fieldMatcher(def, query.get('fieldSelector') ?? undefined);
    const fromRv = parseRv(query.get('resourceVersion'));
    const timeoutSeconds = query.has('timeoutSeconds') ? Number(query.get('timeoutSeconds')) : undefined;
    if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 0)) {
      throw badRequest('timeoutSeconds must be a non-negative integer');
    }
    const effectiveTimeout = timeoutSeconds || ctx.defaultWatchTimeoutSeconds;
    serveWatch(
      res,
      ctx.store,
      {
        def,
        matches: (o) =>
          (namespace === undefined || o.metadata.namespace === namespace) &&
          (name === undefined || o.metadata.name === name) &&
          labels(o) &&
          fields(o),
        fromRv,
        bookmarkIntervalMs: query.get('allowWatchBookmarks') === 'true' ? ctx.bookmarkIntervalMs : undefined,
        timeoutMs: effectiveTimeout ? effectiveTimeout * 1000 : undefined,
      },
      ctx.openWatches,
    );
    return;
  }

  if (name === undefined) {
    if (method === 'GET') {
      const labels = labelMatcher(query.get('labelSelector') ?? undefined);
      const fields = fieldMatcher(def, query.get('fieldSelector') ?? undefined);
      const items = ctx.store.list(def, namespace).filter((o) => labels(o) && fields(o));
      return sendJson(res, 200, listOf(def, ctx.store.resourceVersion(), items));
    }
    if (method === 'POST') {
      if (def.namespaced && namespace === undefined) throw methodNotAllowed(method);
      return sendJson(res, 201, ctx.store.create(def, namespace, body));
    }
    throw methodNotAllowed(method);
  }

  switch (method) {
    case 'GET':
      return sendJson(res, 200, ctx.store.get(def, namespace, name));
    case 'PUT':
      return sendJson(res, 200, ctx.store.update(def, namespace, name, body, status));
    case 'PATCH': {
      const type = patchTypeOf(req.headers['content-type']);
      return sendJson(res, 200, ctx.store.patch(def, namespace, name, type, body, status));
    }
    case 'DELETE': {
      if (status) throw methodNotAllowed(method);
      const options = deleteOptionsSchema.safeParse(body);
      if (!options.success) throw badRequest(`malformed DeleteOptions: ${z.prettifyError(options.error)}`);
      const grace = query.get('gracePeriodSeconds');
      if (grace !== null && !/^\d+$/.test(grace)) throw badRequest(`invalid gracePeriodSeconds: "${grace}"`);
      const gone = ctx.store.delete(def, namespace, name, {
        ...options.data,
        ...(grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
      });
      // A terminating object (still there) is answered with the object, as the real registry does.
      if (def.returnsDeletedObject || ctx.store.has(def, namespace, name)) return sendJson(res, 200, gone);
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, ...(def.group ? { group: def.group } : {}), kind: def.plural, uid: gone.metadata.uid },
      });
    }
    default:
      throw methodNotAllowed(method);
  }
};

/** The request listener behind the fake apiserver. */
export const handleRequest = async (ctx: HandlerContext, req: IncomingMessage, res: ServerResponse) => {
  try {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (ctx.requests.length >= ctx.requestLogLimit)
      ctx.requests.splice(0, ctx.requests.length - ctx.requestLogLimit + 1);
    ctx.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (ctx.token !== undefined && !UNAUTHENTICATED_PATHS.has(url.pathname)) {
      if (req.headers.authorization !== `Bearer ${ctx.token}`) {
        throw new ApiStatusError(401, 'Unauthorized', 'Unauthorized');
      }
    }
    const route = routeOf(ctx.resources, url.pathname);
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const fault = ctx.faults.take(method, route, watch);
    if (fault) throw fault;
    if (url.pathname === TOKEN_REVIEW_PATH && method === 'POST') return reviewToken(ctx, res, body);
    if (!route) {
      const doc = method === 'GET' ? discovery(ctx, url.pathname) : undefined;
      if (doc === undefined) throw serverNotFound();
      return sendJson(res, 200, doc);
    }
    await serveResource(ctx, req, res, route, url.searchParams, body);
  } catch (err) {
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(
      res,
      err instanceof ApiStatusError ? err : new ApiStatusError(500, 'InternalError', `fake apiserver: ${String(err)}`),
    );
  }
};
