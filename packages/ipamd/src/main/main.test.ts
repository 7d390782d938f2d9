import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG, type MainIo, start } from './main.js';

const io = (argv: string[], env: MainIo['env'] = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { argv, env, out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
};
const goodEnv = { ENI_IPAM_AUTH_SECRET: 'x'.repeat(32), TENCENTCLOUD_SECRET_ID: 'id', TENCENTCLOUD_SECRET_KEY: 'k' };

describe('ipamd start', () => {
  it('given --help, when started, then the help is printed and the exit code is 0', async () => {
    const t = io(['--help']);
    expect(await start(t.io)).toBe(0);
    expect(t.out.join('')).toContain('Usage: ipamd');
  });

  it('given bad flags, when started, then every problem is on stderr and the exit code is 2', async () => {
    const t = io(['--clusterid', 'Bad_Id', '--prebind-min', 'x']);
    expect(await start(t.io)).toBe(EXIT_CONFIG);
    const text = t.err.join('');
    expect(text).toContain('--clusterid (flag)');
    expect(text).toContain('--prebind-min');
    expect(text).toContain('--region is required');
    expect(t.out).toEqual([]);
  });

  it('given an unreadable secret file, when started, then it names the file and the exit code is 2', async () => {
    const t = io(
      ['--clusterid', 'cls-1', '--region', 'ap-guangzhou', '--admin-token-file', '/nonexistent/eni-ipam-token'],
      goodEnv,
    );
    expect(await start(t.io)).toBe(EXIT_CONFIG);
    expect(t.err.join('')).toContain('/nonexistent/eni-ipam-token: cannot read (ENOENT)');
  });
});
