import { describe, expect, it } from 'vitest';
import { type IpamdConfig, loadConfig } from '../config/config.js';
import type { Secrets } from '../config/secrets.js';
import { vpcOptionsOf } from './cloud-options.js';

const configWith = (endpoint: string): IpamdConfig => {
  const r = loadConfig({
    argv: ['--clusterid', 'cls-1', '--region', 'ap-guangzhou', '--cloud-endpoint', endpoint],
    env: { ENI_IPAM_AUTH_SECRET: 'x'.repeat(32), TENCENTCLOUD_SECRET_ID: 'id', TENCENTCLOUD_SECRET_KEY: 'key' },
    hostname: 'h',
  });
  if (r.kind !== 'config') throw new Error('expected a config');
  return r.config;
};
const secrets = { cloud: { secretId: 'id', secretKey: 'key' } } as Secrets;

describe('vpcOptionsOf', () => {
  it('given a host, when mapped, then the SDK talks HTTPS to that endpoint', () => {
    expect(vpcOptionsOf(configWith('vpc.internal.tencentcloudapi.com'), secrets)).toEqual({
      region: 'ap-guangzhou',
      clusterId: 'cls-1',
      credentials: { secretId: 'id', secretKey: 'key' },
      endpoint: 'vpc.internal.tencentcloudapi.com',
    });
  });

  it('given an http URL (a simulator), when mapped, then requests connect there and keep the default endpoint', () => {
    const o = vpcOptionsOf(configWith('http://127.0.0.1:18123'), secrets);
    expect(o.connectTo).toEqual({ host: '127.0.0.1', port: 18123 });
    expect(o.endpoint).toBeUndefined();
  });

  it('given an https URL, when mapped, then its host:port is the endpoint', () => {
    const o = vpcOptionsOf(configWith('https://vpc.example.test:8443/'), secrets);
    expect(o).toMatchObject({ endpoint: 'vpc.example.test:8443' });
    expect(o.connectTo).toBeUndefined();
  });
});
