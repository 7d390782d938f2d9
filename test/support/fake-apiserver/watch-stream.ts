/**
 * One watch response: newline-delimited `{type, object}` events on a 200 response whose headers
 * are flushed at once (client-node's informer awaits the headers before it reads anything).
 *
 * Filtering follows the apiserver's watch cache: an object that starts matching the selectors
 * arrives as ADDED, one that stops matching as DELETED (its previous content, with the new
 * resourceVersion), so a filtered informer's cache stays exact.
 */
import type { ServerResponse } from 'node:http';
import type { Change, ObjectStore } from './object-store.js';
import { apiVersionOf, type KubeObject, type ResourceDef } from './resources.js';
import type { Matcher } from './selectors.js';
import type { ApiStatusError } from './status.js';

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: unknown };

export type WatchRequest = {
  readonly def: ResourceDef;
  readonly matches: Matcher;
  /** Replay changes after this resourceVersion; undefined or 0 starts with ADDED for every current object. */
  readonly fromRv: number | undefined;
  /** Send a BOOKMARK with the current resourceVersion every this many ms; undefined for none. */
  readonly bookmarkIntervalMs: number | undefined;
  /** End the response (normally) after this many ms; undefined for never. */
  readonly timeoutMs: number | undefined;
};

/** A live watch, so the server can end it or expire it from a test. */
export type OpenWatch = {
  readonly def: ResourceDef;
  /** Ends the response normally: the client re-watches from its last resourceVersion. */
  close(): void;
  /** Sends an ERROR event with the given Status (for example 410 Expired), then ends the response. */
  fail(error: ApiStatusError): void;
};

/** Translates one change for a filtered watcher, or returns undefined when it does not see it. */
export const eventFor = (change: Change, matches: Matcher): WatchEvent | undefined => {
  const now = matches(change.object);
  const before = change.prev !== undefined && matches(change.prev);
  switch (change.type) {
    case 'ADDED':
      return now ? { type: 'ADDED', object: change.object } : undefined;
    case 'DELETED':
      return before ? { type: 'DELETED', object: change.object } : undefined;
    case 'MODIFIED':
      if (now && before) return { type: 'MODIFIED', object: change.object };
      if (now) return { type: 'ADDED', object: change.object };
      if (before) {
        const gone = structuredClone(change.prev as KubeObject);
        gone.metadata.resourceVersion = change.object.metadata.resourceVersion;
        return { type: 'DELETED', object: gone };
      }
      return undefined;
  }
};

/** Serves a watch on `res` until the client goes away, the timeout passes, or the server ends it. */
export const serveWatch = (
  res: ServerResponse,
  store: ObjectStore,
  req: WatchRequest,
  open: Set<OpenWatch>,
): OpenWatch => {
  const send = (event: WatchEvent) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(event)}\n`);
  };
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};
  const handle: OpenWatch = {
    def: req.def,
    close: () => res.end(),
    fail: (error) => {
      send({ type: 'ERROR', object: error.toStatus() });
      res.end();
    },
  };
  // 'close' on the response (not the request) is what fires when the client disconnects.
  res.on('close', () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t); // clears intervals too
    open.delete(handle);
  });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  // Synchronous from here to subscribe(): no change can slip between the replay and the live feed.
  let backlog: WatchEvent[];
  if (!req.fromRv) {
    backlog = store
      .list(req.def)
      .filter(req.matches)
      .map((object) => ({ type: 'ADDED', object }));
  } else {
    try {
      backlog = store.changesSince(req.def, req.fromRv).flatMap((c) => eventFor(c, req.matches) ?? []);
    } catch (err) {
      handle.fail(err as ApiStatusError);
      return handle;
    }
  }
  for (const event of backlog) send(event);
  unsubscribe = store.subscribe((change) => {
    if (change.def !== req.def) return;
    const event = eventFor(change, req.matches);
    if (event) send(event);
  });
  open.add(handle);

  if (req.bookmarkIntervalMs !== undefined) {
    const bookmark = () =>
      send({
        type: 'BOOKMARK',
        object: {
          kind: req.def.kind,
          apiVersion: apiVersionOf(req.def),
          metadata: { resourceVersion: String(store.resourceVersion()) },
        },
      });
    timers.push(setInterval(bookmark, req.bookmarkIntervalMs));
  }
  if (req.timeoutMs !== undefined) timers.push(setTimeout(() => res.end(), req.timeoutMs));
  return handle;
};
