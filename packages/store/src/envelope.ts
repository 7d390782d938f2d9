import { type EventEnvelope, IpamError, type RecordedEvent, type StreamAppend } from '@eni-ipam/core';
import { z } from 'zod';
import { assertStreamName } from './keys.js';

/** Turns a stored value (already JSON-parsed) into an envelope, or throws; `key` names it. */
export type EventDecoder = (raw: unknown, key: string) => EventEnvelope;

const envelopeSchema = z.object({
  id: z.string().min(1),
  stream: z.string().min(1),
  seq: z.number().int().positive(),
  type: z.string().min(1),
  v: z.number().int().positive(),
  at: z.string().min(1),
  by: z.object({ replica: z.string(), term: z.number() }),
  cause: z.object({
    commandId: z.string().optional(),
    podUid: z.string().optional(),
    containerId: z.string().optional(),
    cloudRequestId: z.string().optional(),
    eventId: z.string().optional(),
  }),
  data: z.unknown().refine((d) => d !== undefined, 'data is required'),
});

const corrupt = (key: string, why: string, cause?: unknown): IpamError =>
  new IpamError('CorruptLog', `corrupt event at ${key}: ${why}`, { key }, { cause });

const isStr = (x: unknown, min = 0): boolean => typeof x === 'string' && x.length >= min;
const isPosInt = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const CAUSE_KEYS = ['commandId', 'podUid', 'containerId', 'cloudRequestId', 'eventId'] as const;

/**
 * The same acceptance as `envelopeSchema`, hand-written: this runs once per event on every replay
 * and catch-up, where zod's parse cost about as much as reading the event from etcd (measured
 * with the store bench). zod still checks every append and explains every refusal; a property
 * test keeps the two in agreement.
 */
export const isEnvelopeShape = (raw: unknown): boolean => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const e = raw as Record<string, unknown>;
  if (!isStr(e.id, 1) || !isStr(e.stream, 1) || !isPosInt(e.seq) || !isStr(e.type, 1) || !isPosInt(e.v)) return false;
  if (!isStr(e.at, 1) || e.data === undefined) return false;
  const by = e.by as Record<string, unknown> | null;
  if (typeof by !== 'object' || by === null || Array.isArray(by) || !isStr(by.replica) || typeof by.term !== 'number') {
    return false;
  }
  if (Number.isNaN(by.term) || !Number.isFinite(by.term)) return false;
  const cause = e.cause as Record<string, unknown> | null;
  if (typeof cause !== 'object' || cause === null || Array.isArray(cause)) return false;
  return CAUSE_KEYS.every((k) => cause[k] === undefined || typeof cause[k] === 'string');
};

/** The default decoder: checks the envelope's shape only (core's decoder checks types and versions). */
export const validateEnvelope: EventDecoder = (raw, key) => {
  if (isEnvelopeShape(raw)) return raw as EventEnvelope;
  const r = envelopeSchema.safeParse(raw);
  throw corrupt(key, r.success ? 'not an event envelope' : z.prettifyError(r.error));
};

/** zod's verdict on an envelope (for the agreement test). */
export const envelopeSchemaAccepts = (raw: unknown): boolean => envelopeSchema.safeParse(raw).success;

/**
 * Stored value: `{"i": <index within the append transaction>, "e": <envelope>}`. The index keeps
 * the order of events that share one revision (one transaction) as they were appended; etcd's
 * watch gives them in op order, a range read in key order, so both sides sort by (revision, i).
 */
export const encodeStored = (e: EventEnvelope, i: number): string => wrapStored(JSON.stringify(e), i);

/** The stored value around an already serialised envelope (the index is known only per transaction). */
export const wrapStored = (envelopeJson: string, i: number): string => `{"i":${i},"e":${envelopeJson}}`;

export interface StoredEvent {
  event: RecordedEvent;
  /** Order within its revision. */
  i: number;
}

/**
 * Decodes one stored log value; any problem (not JSON, wrong wrapper, decoder refusal, a
 * stream/seq that does not match the key) throws, naming the key. Readers never skip.
 */
export const decodeStored = (
  key: string,
  value: string,
  revision: number,
  where: { stream: string; seq: number } | undefined,
  decode: EventDecoder,
): StoredEvent => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw corrupt(key, 'value is not JSON', e);
  }
  if (typeof parsed !== 'object' || parsed === null || !('e' in parsed) || !('i' in parsed)) {
    throw corrupt(key, 'value is not a stored event {i, e}');
  }
  const { i, e } = parsed as { i: unknown; e: unknown };
  if (typeof i !== 'number') throw corrupt(key, 'index is not a number');
  const event = decode(e, key);
  if (where && (event.stream !== where.stream || event.seq !== where.seq)) {
    throw corrupt(key, `event says ${event.stream}#${event.seq}, key says ${where.stream}#${where.seq}`);
  }
  // the decoder's result is a fresh object of ours: set the position in place (no copy per event)
  (event as RecordedEvent).revision = revision;
  return { event: event as RecordedEvent, i };
};

export const byPosition = (a: StoredEvent, b: StoredEvent): number => a.event.revision - b.event.revision || a.i - b.i;

const invalid = (message: string, details: Record<string, unknown>): IpamError =>
  new IpamError('InvalidEvent', message, details);

/**
 * Checks a proposed append before anything is sent: valid stream names, each stream once,
 * seqs expectedVersion+1.., each event naming its stream, ids unique, and a valid envelope.
 */
export const validateAppend = (streams: readonly StreamAppend[]): void => {
  if (streams.length === 0) throw new IpamError('InvalidInput', 'append needs at least one stream');
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const s of streams) {
    assertStreamName(s.stream);
    if (seen.has(s.stream)) throw new IpamError('InvalidInput', `stream ${s.stream} appears twice in one append`);
    seen.add(s.stream);
    if (!Number.isInteger(s.expectedVersion) || s.expectedVersion < 0) {
      throw new IpamError('InvalidInput', `expectedVersion of ${s.stream} must be an integer >= 0`);
    }
    if (s.events.length === 0) throw new IpamError('InvalidInput', `append to ${s.stream} has no events`);
    s.events.forEach((e, n) => {
      const where = `${s.stream}#${s.expectedVersion + n + 1}`;
      // the hand-written check first (zod costs a few percent of the leader's CPU per append);
      // zod only to explain a refusal, as when decoding
      if (!isEnvelopeShape(e)) {
        const r = envelopeSchema.safeParse(e);
        throw invalid(`event ${where}: ${r.success ? 'not an event envelope' : z.prettifyError(r.error)}`, {
          stream: s.stream,
        });
      }
      if (e.stream !== s.stream) throw invalid(`event ${e.id} names stream ${e.stream}, appended to ${s.stream}`, {});
      if (e.seq !== s.expectedVersion + n + 1) throw invalid(`event ${e.id} has seq ${e.seq}, expected ${where}`, {});
      if (ids.has(e.id)) throw invalid(`event id ${e.id} appears twice in one append`, { id: e.id });
      ids.add(e.id);
    });
  }
};
