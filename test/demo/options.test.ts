import { describe, expect, it } from 'vitest';
import { parseDemoArgs, UsageError } from './options.js';

describe('demo flags', () => {
  it('defaults: 3 nodes, 24 pods, 45 s of churn, not kept, namespaces when possible', () =>
    expect(parseDemoArgs([])).toEqual({ nodes: 3, pods: 24, duration: 45, keep: false, ipamOnly: false }));

  it('reads every flag', () =>
    expect(parseDemoArgs(['--nodes', '4', '--pods=30', '--duration', '20', '--keep', '--ipam-only'])).toEqual({
      nodes: 4,
      pods: 30,
      duration: 20,
      keep: true,
      ipamOnly: true,
    }));

  it.each([
    { argv: ['--nodes', '1'], flag: '--nodes' },
    { argv: ['--pods', 'many'], flag: '--pods' },
    { argv: ['--duration', '-5'], flag: '--duration' },
    { argv: ['--colour'], flag: '--colour' },
    { argv: ['--ipam-only=yes'], flag: '--ipam-only' },
  ])('refuses $argv naming $flag', ({ argv, flag }) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
    expect(() => parseDemoArgs(argv)).toThrow(flag);
  });

  it('--help', () => expect(parseDemoArgs(['--help'])).toBe('help'));
});
