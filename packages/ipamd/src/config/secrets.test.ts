import { describe, expect, it } from 'vitest';
import { ConfigError, type IpamdConfig, loadConfig } from './config.js';
import { loadSecrets } from './secrets.js';

const config = (argv: string[], env: Record<string, string> = {}): IpamdConfig => {
  const r = loadConfig({ argv: ['--clusterid', 'c1', '--region', 'ap-guangzhou', ...argv], env, hostname: 'h' });
  if (r.kind !== 'config') throw new Error('expected config');
  return r.config;
};
const files: Record<string, string> = {
  '/s/auth': `${'a'.repeat(40)}\n`,
  '/s/admin': 'b'.repeat(32),
  '/s/short': 'tiny\n',
  '/s/etcd': 'pw\n',
  '/s/creds.json': '{"secretId":"AKID1","secretKey":"K1"}',
  '/s/creds-bad.json': '{"id":"x"}',
  '/s/cert.pem': 'CERT',
  '/s/key.pem': 'KEY',
};
const read = async (p: string) => {
  const v = files[p];
  if (v === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return v;
};

describe('loadSecrets', () => {
  it('reads each secret file once, dropping one trailing newline', async () => {
    const c = config([
      '--auth-secret-file=/s/auth',
      '--admin-token-file=/s/admin',
      '--etcd-username=u',
      '--etcd-password-file=/s/etcd',
      '--cloud-credentials-file=/s/creds.json',
      '--tls-cert-file=/s/cert.pem',
      '--tls-key-file=/s/key.pem',
    ]);
    expect(await loadSecrets(c, read)).toEqual({
      clusterSecret: 'a'.repeat(40),
      adminToken: 'b'.repeat(32),
      etcdPassword: 'pw',
      cloud: { secretId: 'AKID1', secretKey: 'K1' },
      tls: { cert: 'CERT', key: 'KEY' },
    });
  });

  it('takes values given in the environment as they are', async () => {
    const c = config([], {
      ENI_IPAM_AUTH_SECRET: 'x'.repeat(32),
      TENCENTCLOUD_SECRET_ID: 'id',
      TENCENTCLOUD_SECRET_KEY: 'key',
    });
    expect(await loadSecrets(c, read)).toMatchObject({ clusterSecret: 'x'.repeat(32), cloud: { secretId: 'id' } });
  });

  it('reports every unreadable or malformed file, never its content', async () => {
    const c = config([
      '--auth-secret-file=/s/short',
      '--admin-token-file=/s/missing',
      '--cloud-credentials-file=/s/creds-bad.json',
      '--tls-cert-file=/s/cert.pem',
      '--tls-key-file=/s/nokey.pem',
    ]);
    const e = await loadSecrets(c, read).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).problems).toEqual([
      'auth secret /s/short must be at least 32 bytes',
      'admin token /s/missing: cannot read (ENOENT)',
      'cloud credentials /s/creds-bad.json: expected JSON {"secretId","secretKey"}',
      'TLS key /s/nokey.pem: cannot read (ENOENT)',
    ]);
    expect((e as ConfigError).message).not.toContain('tiny');
  });
});
