import type { RecordedEvent } from '@eni-ipam/core';
import { describe, expect, it } from 'vitest';
import { batchesOfWholeRevisions } from './limits.js';
import { testEvent } from './testing/events.js';

const at = (revision: number, seq: number): RecordedEvent => ({ ...testEvent('node/a', seq), revision });

describe('batchesOfWholeRevisions', () => {
  it('never splits a revision, even one larger than the batch size', () => {
    const events = [at(1, 1), at(1, 2), at(1, 3), at(2, 4), at(3, 5), at(3, 6)];
    expect(batchesOfWholeRevisions(events, 2).map((b) => b.map((e) => e.seq))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(batchesOfWholeRevisions(events, 1).map((b) => b.map((e) => e.seq))).toEqual([[1, 2, 3], [4], [5, 6]]);
    expect(batchesOfWholeRevisions([], 5)).toEqual([]);
  });
});
