import { randomUUID } from 'node:crypto';
import type { EventEnvelope, StreamAppend } from '@eni-ipam/core';

/** A well-formed test event; `data` and the rest can be overridden. */
export const testEvent = (stream: string, seq: number, over: Partial<EventEnvelope> = {}): EventEnvelope => ({
  id: randomUUID(),
  stream,
  seq,
  type: 'TestHappened',
  v: 1,
  at: '2026-01-01T00:00:00.000Z',
  by: { replica: 'test', term: 1 },
  cause: {},
  data: { n: seq },
  ...over,
});

/** `count` fresh events for a stream currently at `version`. */
export const nextEvents = (
  stream: string,
  version: number,
  count = 1,
  over: Partial<EventEnvelope> = {},
): StreamAppend => ({
  stream,
  expectedVersion: version,
  events: Array.from({ length: count }, (_, k) => testEvent(stream, version + k + 1, over)),
});
