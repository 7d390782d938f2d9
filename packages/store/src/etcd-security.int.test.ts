import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IpamError, isIpamError } from '@eni-ipam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdClient } from './etcd-client.js';
import { EtcdEventStore } from './etcd-event-store.js';
import { type EtcdCluster, startEtcd } from './testing/etcd-harness.js';
import { nextEvents } from './testing/index.js';
import { makePki } from './testing/pki.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isIpamError(e) ? e.code : `untyped ${String(e)}`),
  );

describe('etcd over mutual TLS', () => {
  let etcd: EtcdCluster;
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eni-ipam-pki-'));
    pki = makePki(dir);
    etcd = await startEtcd({
      tls: {
        certFile: join(dir, 'server.crt'),
        keyFile: join(dir, 'server.key'),
        caFile: join(dir, 'ca.crt'),
        clientCertAuth: true,
      },
    });
  });
  afterAll(async () => {
    await etcd?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('appends and reads with the CA and a client certificate', async () => {
    const store = new EtcdEventStore({ connection: { endpoints: etcd.endpoints, tls: pki }, prefix: '/t/tls' });
    try {
      await store.append([nextEvents('node/tls', 0, 2)]);
      expect((await store.readStream('node/tls')).map((e) => e.seq)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('refuses a client without a certificate with a typed error', async () => {
    const store = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints, tls: { ca: pki.ca }, callTimeoutMs: 2000 },
      prefix: '/t/tls',
    });
    try {
      expect(await codeOf(store.streamVersion('node/tls'))).toBe('StoreUnavailable');
    } finally {
      await store.close();
    }
  });
});

describe('etcd with username/password auth', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = createEtcdClient({ endpoints: etcd.endpoints });
    await admin.role('root').create();
    await admin.user('root').create('s3cret');
    await admin.user('root').addRole('root');
    await admin.auth.authEnable();
    admin.close();
  });
  afterAll(async () => etcd?.cleanup());

  it('works with the right password', async () => {
    const store = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints, auth: { username: 'root', password: 's3cret' } },
      prefix: '/t/auth',
    });
    try {
      await store.append([nextEvents('node/auth', 0)]);
      expect(await store.streamVersion('node/auth')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('refuses a wrong password or none with a typed error, writing nothing', async () => {
    for (const auth of [{ username: 'root', password: 'wrong' }, undefined]) {
      const store = new EtcdEventStore({
        connection: { endpoints: etcd.endpoints, ...(auth ? { auth } : {}) },
        prefix: '/t/auth',
      });
      try {
        const err = await store.append([nextEvents('node/auth', 1)]).catch((e: unknown) => e as IpamError);
        expect(isIpamError(err, 'StoreUnavailable')).toBe(true);
        expect((err as IpamError).details.auth).toBe(true);
      } finally {
        await store.close();
      }
    }
    const ok = new EtcdEventStore({
      connection: { endpoints: etcd.endpoints, auth: { username: 'root', password: 's3cret' } },
      prefix: '/t/auth',
    });
    expect(await ok.streamVersion('node/auth')).toBe(1);
    await ok.close();
  });
});
