import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, serveCni } from './cni-socket.js';

describe('CNI socket wire format', () => {
  it('property: decode(encode(x)) keeps every CNI_ variable and stdin byte for byte', () => {
    const val = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^CNI_[A-Z]{1,8}$/), val), val, (env, stdin) => {
        expect(decodeRequest(encodeRequest({ env, stdin }))).toEqual({ env, stdin });
      }),
    );
  });

  it('serves on a root-only socket and answers with exit code and stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eni-sock-'));
    const path = join(dir, 'run', 'agent.sock');
    const server = await serveCni(path, async (inv) => ({
      exitCode: 0,
      stdout: `${inv.env.CNI_COMMAND}:${inv.stdin}`,
    }));
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
      const reply = await new Promise<string>((resolve, reject) => {
        const s = connect(path);
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
        s.on('error', reject);
        s.end(encodeRequest({ env: { CNI_COMMAND: 'ADD' }, stdin: '{}' }));
      });
      expect(reply).toBe('0\nADD:{}');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
