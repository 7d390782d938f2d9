import { z } from 'zod';
import { containerIdSchema, podRefSchema } from '../values/pod.js';

/** Free text saying why a decision was made (which ENI and why that one). */
export const whySchema = z.string().min(1).max(2000);
/** The id of the intent event an outcome resolves (the intent's event id). */
export const intentIdSchema = z.string().min(1).max(200);
/**
 * The idempotency token sent with the cloud call of an intent. It is the intent event's id
 * (`<commandId>:0`), at most 64 ASCII characters as the Tencent VPC API requires.
 */
export const clientTokenSchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'not a client token (1-64 printable ASCII)');
/** A cloud error as an outcome records it: the IpamError code of the adapter and its message. */
export const cloudErrorCodeSchema = z.string().min(1).max(100);
export const messageSchema = z.string().max(2000);
export { containerIdSchema, podRefSchema };

/** A catalogue entry: the current schema version of a type's `data` and its schema. */
export interface EventSpec<S extends z.ZodType = z.ZodType> {
  /** The version new events are written with; older versions are upcast to it on read. */
  readonly v: number;
  /** Which kind of stream the type lives in. */
  readonly stream: 'node' | 'subnet' | 'cluster';
  readonly data: S;
}

/** Builds a catalogue section; keeps the literal keys for the union types. */
export const events = <const C extends Record<string, { v: number; data: z.ZodType }>>(
  stream: EventSpec['stream'],
  specs: C,
): { [K in keyof C]: EventSpec<C[K]['data']> } =>
  Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { ...s, stream }])) as {
    [K in keyof C]: EventSpec<C[K]['data']>;
  };

/** The domain events of a catalogue section: `{ type, data }` with `data` typed per type. */
export type EventsOf<C extends Record<string, EventSpec>> = {
  [K in keyof C & string]: { type: K; data: z.infer<C[K]['data']> };
}[keyof C & string];

/** Narrows a union of domain events to one type's data. */
export type DataOf<E extends { type: string; data: unknown }, T extends E['type']> = Extract<E, { type: T }>['data'];
