import { describe, expect, it } from 'vitest';
import { parseBenchArgs, selects } from './args.js';

describe('parseBenchArgs', () => {
  it('defaults: all items, full sizes, a table', () =>
    expect(parseBenchArgs([])).toEqual({ only: null, quick: false, json: false, resultsDir: null, help: false }));

  it.each([
    { argv: ['--only', '1,2'], only: ['1', '2'] },
    { argv: ['--only=9'], only: ['9'] },
    { argv: ['--only', ' 1 , 6-failover '], only: ['1', '6-failover'] },
  ])('--only $argv', ({ argv, only }) => expect(parseBenchArgs(argv).only).toEqual(only));

  it('--quick, --json and --results-dir', () =>
    expect(parseBenchArgs(['--quick', '--json', '--results-dir', '/tmp/x'])).toMatchObject({
      quick: true,
      json: true,
      resultsDir: '/tmp/x',
    }));

  it.each([
    { argv: ['--bogus'], error: /Unknown option/ },
    { argv: ['extra'], error: /positional/ },
    { argv: ['--only', ','], error: /at least one/ },
    { argv: ['--only', '1,x y'], error: /not an item number or id: x y/ },
    { argv: ['--only', '0'], error: /not an item number/ },
  ])('rejects $argv', ({ argv, error }) => expect(() => parseBenchArgs(argv)).toThrow(error));
});

describe('selects', () => {
  it.each([
    { only: null, id: '1-alloc-throughput', yes: true },
    { only: ['1'], id: '1-alloc-throughput', yes: true },
    { only: ['1'], id: '10-something', yes: false },
    { only: ['2', '9'], id: '9-cni-add', yes: true },
    { only: ['9-cni-add'], id: '9-cni-add', yes: true },
    { only: ['9-cni'], id: '9-cni-add', yes: false },
  ])('$only selects $id: $yes', ({ only, id, yes }) => expect(selects(only, id)).toBe(yes));
});
