import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/index.js';

let dir: string;
let cert: string;
let s: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ipamd-tls-'));
  // a throwaway self-signed certificate for 127.0.0.1 (openssl from Debian, see install-system-deps.sh)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  s = await startTestServer({ tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string>, ca?: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { headers, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

describe('HTTPS', () => {
  it('serves the API over TLS when a certificate and key are given', async () => {
    expect(s.url.startsWith('https://')).toBe(true);
    const r = await get(`${s.url}/v1/nodes/node-a/state`, { authorization: s.nodeAuth('node-a') }, cert);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ allocations: [] });
  });

  it('a client that does not trust the certificate cannot talk to it', async () => {
    await expect(get(`${s.url}/healthz`, {})).rejects.toThrow(/self[- ]signed/i);
  });
});
