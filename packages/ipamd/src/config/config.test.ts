import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type IpamdConfig, loadConfig } from './config.js';
import { helpText, OPTIONS } from './options.js';

const SECRET = 's'.repeat(32);
const baseEnv = {
  ENI_IPAM_AUTH_SECRET: SECRET,
  TENCENTCLOUD_SECRET_ID: 'AKIDexample',
  TENCENTCLOUD_SECRET_KEY: 'example-key',
};
const required = ['--clusterid', 'cls-abc12345', '--region', 'ap-guangzhou'];

const load = (argv: string[], env: Record<string, string> = baseEnv, hostname = 'host-1'): IpamdConfig => {
  const r = loadConfig({ argv, env, hostname });
  if (r.kind !== 'config') throw new Error('expected a config');
  return r.config;
};
const problemsOf = (argv: string[], env: Record<string, string> = baseEnv): readonly string[] => {
  try {
    loadConfig({ argv, env, hostname: 'h' });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = load(required);
    expect(c).toMatchObject({
      clusterId: 'cls-abc12345',
      claimExpiryMs: null,
      replicaId: 'host-1',
      listen: { host: '0.0.0.0', port: 9090, tls: undefined },
      etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/eni-ipam/cls-abc12345', tls: undefined, auth: undefined },
      cloud: { region: 'ap-guangzhou', endpoint: 'vpc.tencentcloudapi.com' },
      auth: { clusterSecret: { value: SECRET }, adminToken: undefined },
      pool: { preBind: { min: 5, max: 5 }, releaseIntervalMs: 120_000, policy: 'warm' },
      configMap: { namespace: 'kube-system', name: 'tke-eni-ipamd' },
      logLevel: 'info',
    });
    expect(c.cloud.credentials).toEqual({ secretId: 'AKIDexample', secretKey: 'example-key' });
  });

  it.each([
    { argv: ['--claim-expired-duration', '10m0s'], expect: { claimExpiryMs: 600_000 } },
    { argv: ['--claim-expired-duration=1h30m'], expect: { claimExpiryMs: 5_400_000 } },
    { argv: ['--claim-expired-duration', '0'], expect: { claimExpiryMs: null } },
    { argv: ['--listen', '127.0.0.1:0'], expect: { listen: { host: '127.0.0.1', port: 0, tls: undefined } } },
    { argv: ['--listen', '[::1]:8443'], expect: { listen: { host: '::1', port: 8443, tls: undefined } } },
    { argv: ['--prebind-min', '0', '--prebind-max', '12'], expect: { pool: { preBind: { min: 0, max: 12 } } } },
    { argv: ['--release-interval', '30s'], expect: { pool: { releaseIntervalMs: 30_000 } } },
    { argv: ['--pool-policy', 'on-demand'], expect: { pool: { policy: 'on-demand' } } },
    {
      argv: ['--etcd-endpoints', 'https://10.0.0.1:2379, https://10.0.0.2:2379', '--etcd-prefix', '/x/y'],
      expect: { etcd: { endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'], prefix: '/x/y' } },
    },
    { argv: ['--replica-id', 'ipamd-0'], expect: { replicaId: 'ipamd-0' } },
    { argv: ['--configmap', 'ops/eni'], expect: { configMap: { namespace: 'ops', name: 'eni' } } },
  ])('flags $argv', ({ argv, expect: want }) => {
    expect(load([...required, ...argv])).toMatchObject(want);
  });

  it('takes a flag over its env variable over the default', () => {
    const env = { ...baseEnv, ENI_IPAM_PREBIND_MAX: '9', ENI_IPAM_PREBIND_MIN: '2' };
    expect(load([...required, '--prebind-max', '7'], env).pool.preBind).toEqual({ min: 2, max: 7 });
    expect(load(required, env).pool.preBind).toEqual({ min: 2, max: 9 });
    expect(load(required).pool.preBind).toEqual({ min: 5, max: 5 });
  });

  it('reads every required value from the environment alone', () => {
    const env = { ...baseEnv, ENI_IPAM_CLUSTER_ID: 'cls-env', ENI_IPAM_REGION: 'ap-shanghai', POD_NAME: 'ipamd-7f' };
    expect(load([], env)).toMatchObject({
      clusterId: 'cls-env',
      cloud: { region: 'ap-shanghai' },
      replicaId: 'ipamd-7f',
    });
  });

  it('keeps secrets as file paths or env values, and pairs TLS files', () => {
    const c = load(
      [
        ...required,
        '--auth-secret-file',
        '/etc/ipamd/secret',
        '--admin-token-file',
        '/etc/ipamd/admin',
        '--tls-cert-file',
        '/c.pem',
        '--tls-key-file',
        '/k.pem',
        '--etcd-username',
        'ipamd',
        '--etcd-password-file',
        '/p',
        '--cloud-credentials-file',
        '/creds.json',
      ],
      {},
    );
    expect(c.auth).toEqual({
      mode: 'hmac',
      clusterSecret: { file: '/etc/ipamd/secret' },
      adminToken: { file: '/etc/ipamd/admin' },
      agentServiceAccount: 'kube-system/eni-agent',
    });
    expect(c.listen.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(c.etcd.auth).toEqual({ username: 'ipamd', password: { file: '/p' } });
    expect(c.cloud.credentials).toEqual({ file: '/creds.json' });
  });

  it.each([
    { name: 'no cluster id', argv: ['--region', 'ap-guangzhou'], want: ['--clusterid is required'] },
    {
      name: 'bad duration',
      argv: [...required, '--claim-expired-duration', '10 minutes'],
      want: ['not a Go duration'],
    },
    { name: 'too short duration', argv: [...required, '--claim-expired-duration', '10ms'], want: ['at least 1s'] },
    { name: 'bad listen', argv: [...required, '--listen', 'localhost'], want: ['expected host:port'] },
    { name: 'port range', argv: [...required, '--listen', '0.0.0.0:70000'], want: ['port must be'] },
    { name: 'inverted bounds', argv: [...required, '--prebind-min', '9', '--prebind-max', '3'], want: ['min <= max'] },
    { name: 'negative bound', argv: [...required, '--prebind-min', '-1'], want: ['--prebind-min'] },
    { name: 'bad policy', argv: [...required, '--pool-policy', 'lazy'], want: ['--pool-policy (flag)'] },
    { name: 'bad endpoint', argv: [...required, '--etcd-endpoints', 'etcd:2379'], want: ['http(s) URL'] },
    {
      name: 'half TLS',
      argv: [...required, '--tls-cert-file', '/c.pem'],
      want: ['--tls-cert-file and --tls-key-file'],
    },
    { name: 'unknown flag', argv: [...required, '--frobnicate', '1'], want: ['unknown flag --frobnicate'] },
    { name: 'stray argument', argv: [...required, 'extra'], want: ['unexpected argument "extra"'] },
    { name: 'missing value', argv: [...required, '--region'], want: ['argument missing'] },
    { name: 'etcd user w/o password', argv: [...required, '--etcd-username', 'u'], want: ['needs a password'] },
  ])('refuses $name', ({ argv, want }) => {
    const problems = problemsOf(argv).join('\n');
    for (const w of want) expect(problems).toContain(w);
  });

  it('lists every problem at once, naming where each value came from', () => {
    const problems = problemsOf(['--listen', 'nope', '--pool-policy', 'x', '--bogus'], {
      ENI_IPAM_PREBIND_MIN: 'many',
      ENI_IPAM_AUTH_SECRET: 'short',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'unknown flag --bogus',
        expect.stringContaining('--listen (flag): expected host:port'),
        expect.stringContaining('--pool-policy (flag)'),
        expect.stringContaining('--prebind-min (env ENI_IPAM_PREBIND_MIN): not a non-negative integer'),
        '--clusterid is required (or env ENI_IPAM_CLUSTER_ID)',
        '--region is required (or env ENI_IPAM_REGION)',
        'the auth secret (env ENI_IPAM_AUTH_SECRET) must be at least 32 bytes',
        expect.stringContaining('cloud credentials'),
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  it('refuses a missing auth secret and missing cloud credentials', () => {
    const problems = problemsOf(required, {}).join('\n');
    expect(problems).toContain('--auth-secret-file or env ENI_IPAM_AUTH_SECRET is required');
    expect(problems).toContain('cloud credentials');
  });

  it('answers --help with every flag and env variable', () => {
    const r = loadConfig({ argv: ['--help'], env: {}, hostname: 'h' });
    if (r.kind !== 'help') throw new Error('expected help');
    for (const o of OPTIONS) {
      expect(r.text).toContain(o.flags.split(' ')[0]);
      expect(r.text).toContain(o.env);
    }
    for (const v of [
      'ENI_IPAM_AUTH_SECRET',
      'ENI_IPAM_ADMIN_TOKEN',
      'ENI_IPAM_ETCD_PASSWORD',
      'TENCENTCLOUD_SECRET_KEY',
    ]) {
      expect(r.text).toContain(v);
    }
    expect(r.text).toContain('TKE_ENI_IPAMD_SUBNET_ID');
  });
});

describe('the Kubernetes side', () => {
  it('is off without --kubeconfig, KUBECONFIG or an in-cluster environment', () => {
    expect(load(required).kube).toBeUndefined();
  });
  it('uses --kubeconfig, else env KUBECONFIG, else the in-cluster config in a pod', () => {
    expect(load([...required, '--kubeconfig', '/etc/k.yaml'], { ...baseEnv, KUBECONFIG: '/x' }).kube).toEqual({
      kubeconfig: '/etc/k.yaml',
    });
    expect(load(required, { ...baseEnv, KUBECONFIG: '/x' }).kube).toEqual({ kubeconfig: '/x' });
    expect(load(required, { ...baseEnv, KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kube).toEqual({ inCluster: true });
  });
});

describe('--auth-mode', () => {
  const noSecret = { TENCENTCLOUD_SECRET_ID: 'AKIDexample', TENCENTCLOUD_SECRET_KEY: 'example-key' };
  it('tokenreview needs no cluster secret but the Kubernetes side', () => {
    const c = load([...required, '--auth-mode', 'tokenreview', '--kubeconfig', '/k'], noSecret);
    expect(c.auth).toMatchObject({ mode: 'tokenreview', clusterSecret: undefined });
    expect(problemsOf([...required, '--auth-mode', 'tokenreview'], noSecret)).toEqual([
      '--auth-mode tokenreview needs the Kubernetes side (--kubeconfig, env KUBECONFIG, or in-cluster)',
    ]);
  });
  it('hmac (the default) needs the cluster secret', () => {
    expect(problemsOf(required, noSecret).some((p) => p.includes('ENI_IPAM_AUTH_SECRET'))).toBe(true);
    expect(problemsOf([...required, '--auth-mode', 'oidc']).some((p) => p.startsWith('--auth-mode'))).toBe(true);
  });
});

describe('README.md', () => {
  it('quotes the --help text as it is', () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(helpText());
  });
});
