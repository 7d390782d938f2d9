import { type EventStore, IpamError, type Subscription } from '@eni-ipam/core';
import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { describe, expect, it } from 'vitest';
import { openNodeFeed } from './node-feed.js';
import { ProjectionHost } from './projection-host.js';

describe('node feed', () => {
  it('ends with RevisionCompacted when the store can no longer replay from the position', async () => {
    const inner = new InMemoryEventStore();
    const host = new ProjectionHost({ store: inner });
    await host.start();
    const compacted = new IpamError('RevisionCompacted', 'revision 3 was compacted', { compactRevision: 9 });
    const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
      subscribe: (): Subscription => ({ done: Promise.reject(compacted), close: async () => undefined }),
    });
    const feed = openNodeFeed({ store, host, stream: 'node/n1', from: 3, signal: new AbortController().signal });
    const read = async () => {
      for await (const _ of feed) {
        // nothing is delivered
      }
    };
    await expect(read()).rejects.toMatchObject({ code: 'RevisionCompacted' });
    await host.stop();
  });

  it('stops at once when the client goes away', async () => {
    const store = new InMemoryEventStore();
    const host = new ProjectionHost({ store });
    await host.start();
    const abort = new AbortController();
    const lines = openNodeFeed({ store, host, stream: 'node/n1', from: 0, signal: abort.signal })[
      Symbol.asyncIterator
    ]();
    const pending = lines.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    await host.stop();
  });
});
