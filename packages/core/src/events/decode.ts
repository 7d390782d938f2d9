import { z } from 'zod';
import { IpamError } from '../errors.js';
import type { EventEnvelope, RecordedEvent } from '../ports/event-store.js';
import { isDns1123Subdomain } from '../values/ids.js';
import { type DomainEvent, eventCatalogue, streamKind } from './catalogue.js';
import type { EventSpec } from './common.js';

/** The envelope around every event; `data` is checked against the catalogue separately. */
export const envelopeSchema = z.strictObject({
  id: z.string().min(1).max(200),
  stream: z.string().min(1).max(300),
  seq: z.number().int().min(1),
  type: z.string().min(1).max(100),
  v: z.number().int().min(1),
  at: z.iso.datetime({ offset: true }),
  by: z.strictObject({ replica: z.string().min(1).max(200), term: z.number().int().min(0) }),
  cause: z.strictObject({
    commandId: z.string().max(200).optional(),
    podUid: z.string().max(200).optional(),
    containerId: z.string().max(200).optional(),
    cloudRequestId: z.string().max(200).optional(),
    eventId: z.string().max(200).optional(),
  }),
  data: z.unknown(),
  /** Present on events read back from the store. */
  revision: z.number().int().min(1).optional(),
});

// the keys come from the schema itself, so a field added there cannot be missed here
const ENVELOPE_KEYS = new Set(Object.keys(envelopeSchema.shape));
const CAUSE_KEYS = new Set(Object.keys(envelopeSchema.shape.cause.shape));
/** The pattern zod's `z.iso.datetime({ offset: true })` uses (from zod, so the two cannot drift). */
const AT = z.core.regexes.datetime({ offset: true });

const isStr = (x: unknown, min: number, max: number): boolean =>
  typeof x === 'string' && x.length >= min && x.length <= max;
const isInt = (x: unknown, min: number): boolean => Number.isSafeInteger(x) && (x as number) >= min;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `envelopeSchema`'s verdict, written by hand: every event the leader and each replica read from
 * the watch, and every event of a replay, goes through it, and zod's object parse (a copy of
 * every envelope, its `by` and its `cause`) was the largest part of decoding. zod still explains
 * each refusal; a property test keeps the two in agreement.
 */
export const isEnvelope = (raw: unknown): raw is z.infer<typeof envelopeSchema> => {
  if (!isRecord(raw)) return false;
  for (const k in raw) if (!ENVELOPE_KEYS.has(k)) return false;
  if (!('data' in raw)) return false; // any value, even undefined, but the key must be there
  if (!isStr(raw.id, 1, 200) || !isStr(raw.stream, 1, 300) || !isStr(raw.type, 1, 100)) return false;
  if (!isInt(raw.seq, 1) || !isInt(raw.v, 1)) return false;
  if (typeof raw.at !== 'string' || !AT.test(raw.at)) return false;
  if (raw.revision !== undefined && !isInt(raw.revision, 1)) return false;
  const by = raw.by;
  if (!isRecord(by) || !isStr(by.replica, 1, 200) || !isInt(by.term, 0)) return false;
  for (const k in by) if (k !== 'replica' && k !== 'term') return false;
  const cause = raw.cause;
  if (!isRecord(cause)) return false;
  for (const k in cause) {
    if (!CAUSE_KEYS.has(k)) return false;
    const v = cause[k];
    if (v !== undefined && !isStr(v, 0, 200)) return false;
  }
  return true;
};

/** A decoded event: an envelope whose `type`/`data` pair is a typed DomainEvent at its current version. */
export type DecodedEvent = EventEnvelope & DomainEvent & { revision?: number };

/**
 * Upcasts `data` of one type from version `from` to `from + 1`. Registered by
 * `${type}@${from}`; decode chains them up to the current version.
 */
export type Upcaster = (data: unknown) => unknown;

/** The upcasters of published versions. Empty: every type is still at its first version. */
export const upcasters: Readonly<Record<string, Upcaster>> = {};

const streamOk = (stream: string, kind: EventSpec['stream']): boolean => {
  if (streamKind(stream) !== kind) return false;
  if (kind === 'node') return isDns1123Subdomain(stream.slice('node/'.length));
  if (kind === 'subnet') return /^subnet\/subnet-[a-z0-9]{8}$/.test(stream);
  return true;
};

/**
 * Builds a decoder over a catalogue and an upcaster registry (tests build their own; the
 * system uses `decodeEvent`).
 */
export const makeDecoder =
  (catalogue: Readonly<Record<string, EventSpec>>, ups: Readonly<Record<string, Upcaster>>) =>
  (raw: unknown, key?: string): DecodedEvent => {
    const where = key ? ` at ${key}` : '';
    let e: z.infer<typeof envelopeSchema>;
    if (isEnvelope(raw)) e = raw;
    else {
      const env = envelopeSchema.safeParse(raw);
      if (!env.success) {
        const i = env.error.issues[0];
        throw new IpamError('InvalidEvent', `malformed event envelope${where}: ${i?.path.join('.')} ${i?.message}`, {
          key,
          issues: env.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`),
        });
      }
      e = env.data;
    }
    const spec = catalogue[e.type];
    if (!spec) {
      throw new IpamError('UnknownEventType', `unknown event type ${e.type}${where}`, { key, type: e.type, id: e.id });
    }
    if (!streamOk(e.stream, spec.stream)) {
      throw new IpamError('InvalidEvent', `event ${e.type} does not belong in stream ${e.stream}${where}`, {
        key,
        type: e.type,
        stream: e.stream,
      });
    }
    let data = e.data;
    let v = e.v;
    while (v < spec.v) {
      const up = ups[`${e.type}@${v}`];
      if (!up) break;
      data = up(data);
      v += 1;
    }
    if (v !== spec.v) {
      throw new IpamError('UnknownEventVersion', `no decoder for ${e.type} v${e.v}${where} (current v${spec.v})`, {
        key,
        type: e.type,
        v: e.v,
      });
    }
    const d = spec.data.safeParse(data);
    if (!d.success) {
      const i = d.error.issues[0];
      throw new IpamError(
        'InvalidEvent',
        `malformed ${e.type} v${e.v} data${where}: ${i?.path.join('.')} ${i?.message}`,
        {
          key,
          type: e.type,
          issues: d.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`),
        },
      );
    }
    const { revision, ...rest } = e;
    const out = { ...rest, v, data: d.data } as DecodedEvent;
    if (revision !== undefined) out.revision = revision;
    decodedByUs.add(out);
    return out;
  };

/**
 * Events this module's decoders produced (the store decodes with `decodeEvent` as it reads, and
 * readers then call `decodeRecorded` on what it gave them): those are not validated twice.
 */
const decodedByUs = new WeakSet<object>();

/**
 * Decodes one stored event: checks the envelope, the type (unknown type: `UnknownEventType`),
 * the version (no path to the current version: `UnknownEventVersion`), upcasts, and validates
 * `data` (`InvalidEvent`). It never skips: a reader stops on the error, which names `key`.
 *
 * @example const e = decodeEvent(JSON.parse(value), key); if (e.type === 'IpAllocated') e.data.ip
 */
export const decodeEvent: (raw: unknown, key?: string) => DecodedEvent = makeDecoder(eventCatalogue, upcasters);

/** Decodes a recorded event, keeping its revision typed. */
export const decodeRecorded = (raw: RecordedEvent, key?: string): DecodedEvent & { revision: number } =>
  (decodedByUs.has(raw) ? raw : decodeEvent(raw, key)) as DecodedEvent & { revision: number };
