import { IpamError } from '@eni-ipam/core';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, main } from './cli.js';

const run = async (argv: string[], env: Record<string, string> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
  return { code, out: out.join(''), err: err.join('') };
};

describe('ipamctl exit codes and input checks (no etcd reached)', () => {
  it.each([
    { e: new IpamError('InvalidIp', 'x'), code: EXIT.usage },
    { e: new IpamError('InvalidInput', 'x'), code: EXIT.usage },
    { e: new CommanderError(1, 'commander.unknownCommand', 'x'), code: EXIT.usage },
    { e: new CommanderError(0, 'commander.helpDisplayed', 'x'), code: EXIT.ok },
    { e: new IpamError('StoreUnavailable', 'x'), code: EXIT.unreachable },
    { e: new IpamError('CloudAmbiguous', 'x'), code: EXIT.unreachable },
    { e: new IpamError('InvalidEvent', 'x'), code: EXIT.findings },
    { e: new IpamError('CorruptLog', 'x'), code: EXIT.findings },
  ])('$e.code -> $code', ({ e, code }) => expect(exitCodeOf(e)).toBe(code));

  it.each([
    { argv: ['history', 'eni', 'eni-1'], msg: /ENI "eni-1"/ },
    { argv: ['history', 'node', 'n1'], msg: /unknown kind "node"/ },
    { argv: ['what-if', '--min-prebind', '5', '--max-prebind', '2'], msg: /--min-prebind 5 > --max-prebind 2/ },
    { argv: ['what-if', '--min-prebind', 'x', '--max-prebind', '2'], msg: /--min-prebind: "x"/ },
    { argv: ['state', '--revision', '0'], msg: /--revision: "0" is not a positive integer/ },
    { argv: ['node', 'Bad_Name'], msg: /node "Bad_Name"/ },
    { argv: ['-o', 'yaml', 'status'], msg: /yaml/ },
  ])('$argv -> 2 with a message, before reaching etcd', async ({ argv, msg }) => {
    const r = await run(['--etcd-endpoints', 'http://127.0.0.1:1', ...argv], { ENI_IPAM_CLUSTER_ID: 'c1' });
    expect(r.err).toMatch(msg);
    expect(r.code).toBe(EXIT.usage);
  });

  it('connection settings are checked like ipamd checks them', async () => {
    const r = await run(['--etcd-endpoints', 'ftp://x', 'status'], {});
    expect(r.err).toContain('--clusterid is required');
    expect(r.err).toContain('each endpoint must be an http(s) URL');
    expect(r.code).toBe(EXIT.usage);
  });

  it('--help prints the commands and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.out).toContain('what-if');
    expect(r.code).toBe(EXIT.ok);
  });
});
