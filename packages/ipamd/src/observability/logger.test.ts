import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { call, startTestServer, TEST_ADMIN_TOKEN, TEST_SECRET } from '../testing/index.js';
import { createLogger, describeConfig } from './logger.js';

const planted = {
  authSecret: 'PLANTED-auth-secret-0123456789abcdef',
  adminToken: 'PLANTED-admin-token-0123456789abcdef',
  etcdPassword: 'PLANTED-etcd-password',
  cloudKey: 'PLANTED-cloud-secret-key',
  cloudId: 'PLANTED-cloud-secret-id',
};

const capture = () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
  return { lines, logger };
};

describe('logs', () => {
  it('never show credentials sent to the API', async () => {
    const s = await startTestServer();
    try {
      const nodeAuth = s.nodeAuth('node-a');
      await call(s.url, 'GET', '/v1/nodes/node-a/state', { auth: nodeAuth, headers: { 'x-request-id': 'rid-1' } });
      await call(s.url, 'GET', '/v1/nodes', { auth: s.adminAuth });
      await call(s.url, 'GET', '/v1/nodes', {
        auth: 'Bearer PLANTED-forged-token',
        headers: { cookie: 'PLANTED-cookie' },
      });
      const all = s.logs.join('');
      expect(all).toContain('"authorization":"[redacted]"');
      for (const secret of [nodeAuth.slice(7).split(':')[1] as string, TEST_ADMIN_TOKEN, TEST_SECRET, 'PLANTED']) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await s.close();
    }
  });

  it('carry the request id on every line of a request', async () => {
    const s = await startTestServer();
    try {
      await call(s.url, 'POST', '/v1/nodes/node-a/allocations', {
        auth: s.nodeAuth('node-a'),
        json: { pod: { namespace: 'a', name: 'b' }, containerId: 'c1', mode: 'shared' },
        headers: { 'x-request-id': 'rid-42' },
      });
      const mine = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === 'rid-42');
      expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'allocated', 'request completed']);
    } finally {
      await s.close();
    }
  });

  it('never show secrets of the configuration or of logged objects', () => {
    const { lines, logger } = capture();
    const r = loadConfig({
      argv: ['--clusterid', 'cls-1', '--region', 'ap-guangzhou', '--etcd-username', 'ipamd'],
      env: {
        ENI_IPAM_AUTH_SECRET: planted.authSecret,
        ENI_IPAM_ADMIN_TOKEN: planted.adminToken,
        ENI_IPAM_ETCD_PASSWORD: planted.etcdPassword,
        TENCENTCLOUD_SECRET_ID: planted.cloudId,
        TENCENTCLOUD_SECRET_KEY: planted.cloudKey,
      },
      hostname: 'h',
    });
    if (r.kind !== 'config') throw new Error('expected config');
    logger.info({ config: describeConfig(r.config) }, 'starting');
    // and the raw config, should someone log it by mistake
    logger.info({ config: r.config }, 'raw');
    logger.warn({ cloud: { credentials: { secretKey: planted.cloudKey, secretId: planted.cloudId } } }, 'cloud');
    logger.error({ etcd: { auth: { password: planted.etcdPassword } }, token: planted.adminToken }, 'etcd');
    logger.info({ headers: { authorization: `Bearer ${planted.adminToken}` } }, 'headers');
    const all = lines.join('');
    expect(lines).toHaveLength(5);
    expect(all).toContain('"username":"ipamd"');
    for (const secret of Object.values(planted)) expect(all).not.toContain(secret);
  });
});
