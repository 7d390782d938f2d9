/**
 * Test helpers of @eni-ipam/core: given/when/then over any Decider (emmett's
 * deciderSpecification), and command meta for tests. Import from `@eni-ipam/core/testing`.
 */
import { expect } from 'vitest';
import { clusterDecider } from '../cluster/cluster.js';
import type { CommandMeta, Decider } from '../decider/decider.js';
import { type IpamErrorCode, isIpamError } from '../errors.js';
import { nodeDecider } from '../node/decide.js';
import { subnetDecider } from '../subnet/decide.js';

export interface Then<E, S> {
  /** The decision is exactly these events. */
  thenEvents(expected: readonly E[]): E[];
  /** Each decided event matches the partial one at its position (same count). */
  thenMatches(expected: readonly Partial<E>[] | readonly object[]): E[];
  /** decide threw an IpamError with this code. */
  thenThrows(code: IpamErrorCode): void;
  /** The decision is empty. */
  thenNothingHappened(): void;
  /** The state after applying the decision (for follow-up checks). */
  state(): S;
}

/**
 * `spec(decider).given(events).when(command).thenEvents(events)` (not `then`: an object with `then` is a thenable and would be awaited by a test runner).
 *
 * @example
 *   nodeSpec.given([registered]).when(allocate).thenMatches([{ type: 'IpAllocated' }]);
 */
export const deciderSpec = <C, E, S>(decider: Decider<C, E, S>) => ({
  given: (events: readonly E[] = []) => ({
    when: (command: C): Then<E, S> => {
      const before = () => events.reduce(decider.evolve, decider.initialState());
      const run = () => decider.decide(command, before());
      return {
        thenEvents: (expected) => {
          const got = run();
          expect(got).toEqual(expected);
          return got;
        },
        thenMatches: (expected) => {
          const got = run();
          expect(got).toHaveLength(expected.length);
          expect(got).toMatchObject(expected as object[]);
          return got;
        },
        thenThrows: (code) => {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(isIpamError(thrown), `expected IpamError ${code}, got ${String(thrown)}`).toBe(true);
          expect((thrown as { code: string }).code).toBe(code);
        },
        thenNothingHappened: () => {
          expect(run()).toEqual([]);
        },
        state: () => run().reduce(decider.evolve, before()),
      };
    },
  }),
});

export const nodeSpec = deciderSpec(nodeDecider);
export const subnetSpec = deciderSpec(subnetDecider);
export const clusterSpec = deciderSpec(clusterDecider);

/** Command meta for tests: id `c<n>`, a fixed writer, time `2026-01-01T00:00:00Z` + n seconds. */
export const meta = (
  n: number | string,
  atMs = Date.UTC(2026, 0, 1) + (typeof n === 'number' ? n * 1000 : 0),
): CommandMeta => ({
  id: typeof n === 'number' ? `c${n}` : n,
  at: new Date(atMs).toISOString(),
  by: { replica: 'test', term: 1 },
});
export * from './fixtures.js';
export { Sim } from './sim.js';
