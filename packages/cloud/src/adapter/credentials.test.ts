import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isIpamError } from '@eni-ipam/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCredentials } from './credentials.js';
import { createCloudLogger } from './logger.js';

const dir = mkdtempSync(join(tmpdir(), 'eni-ipam-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadCredentials', () => {
  it('reads the TENCENTCLOUD_* variables from the given environment', () => {
    expect(
      loadCredentials({
        env: { TENCENTCLOUD_SECRET_ID: 'id', TENCENTCLOUD_SECRET_KEY: 'key', TENCENTCLOUD_SESSION_TOKEN: 'tok' },
      }),
    ).toEqual({ secretId: 'id', secretKey: 'key', token: 'tok' });
    expect(loadCredentials({ env: { TENCENTCLOUD_SECRET_ID: 'id', TENCENTCLOUD_SECRET_KEY: 'key' } })).toEqual({
      secretId: 'id',
      secretKey: 'key',
    });
  });

  it('reads a JSON file', () => {
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ secretId: 'fid', secretKey: 'fkey' }));
    expect(loadCredentials({ file: f })).toEqual({ secretId: 'fid', secretKey: 'fkey' });
  });

  it.each([
    { case: 'no variables', src: { env: {} } },
    { case: 'key missing', src: { env: { TENCENTCLOUD_SECRET_ID: 'id' } } },
    { case: 'file missing', src: { file: join(dir, 'none.json') } },
  ])('$case: InvalidInput', ({ src }) => {
    expect(() => loadCredentials(src)).toThrow();
    try {
      loadCredentials(src);
    } catch (e) {
      expect(isIpamError(e, 'InvalidInput')).toBe(true);
    }
  });
});

describe('createCloudLogger', () => {
  it('redacts secrets wherever they sit in a log object', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createCloudLogger({ destination });
    log.info(
      {
        credentials: { secretId: 'AKID-SECRET', secretKey: 'KEY-SECRET' },
        cfg: { secretKey: 'KEY2-SECRET', token: 'TOK-SECRET' },
      },
      'x',
    );
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    for (const s of ['AKID-SECRET', 'KEY-SECRET', 'KEY2-SECRET', 'TOK-SECRET']) expect(out).not.toContain(s);
  });
});
