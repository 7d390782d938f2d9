import type { Cause, EventEnvelope, StreamAppend, Writer } from '../ports/event-store.js';

/**
 * A domain as three pure functions (emmett's decider): `decide(command, state) -> events`,
 * `evolve(state, event) -> state`, `initialState()`. Events here are domain events
 * `{ type, data }`; envelopes are added by {@link toStreamAppend}.
 */
export interface Decider<C, E, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** What every command carries besides its own fields; all of it ends up in the envelopes. */
export interface CommandMeta {
  /** Command id; event ids are `${id}:0`, `${id}:1`... so a retried command is idempotent. */
  id: string;
  /** ISO-8601 time of the decision (from the caller's clock). */
  at: string;
  /** The writer (replica and leader term). */
  by: Writer;
  /** What led to the command (pod uid, container id, cloud request id...). */
  cause?: Cause;
}

/** Event `k` of the decision of command `cmd` (k counts across all streams of the decision). */
export const eventId = (cmd: Pick<CommandMeta, 'id'>, k: number): string => `${cmd.id}:${k}`;

/** Folds events over a state. */
export const fold = <E, S>(evolve: (s: S, e: E) => S, state: S, events: readonly E[]): S =>
  events.reduce(evolve, state);

/**
 * Wraps a decision's events for one stream into a StreamAppend: seq from `version + 1`, ids
 * `${cmd.id}:${firstIndex + i}`, the current schema version from `versionOf`.
 */
export const toStreamAppend = (
  stream: string,
  version: number,
  events: readonly { type: string; data: unknown }[],
  cmd: CommandMeta,
  versionOf: (type: string) => number,
  firstIndex = 0,
): StreamAppend => ({
  stream,
  expectedVersion: version,
  events: events.map(
    (e, i): EventEnvelope => ({
      id: eventId(cmd, firstIndex + i),
      stream,
      seq: version + 1 + i,
      type: e.type,
      v: versionOf(e.type),
      at: cmd.at,
      by: cmd.by,
      cause: { ...cmd.cause, commandId: cmd.id },
      data: e.data,
    }),
  ),
});
