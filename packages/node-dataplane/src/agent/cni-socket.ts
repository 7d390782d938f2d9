import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import type { CniInvocation, CniOutcome } from '../cni/dispatcher.js';

/**
 * Wire format between the CNI shim and the agent (kept trivial so the shim is ~100 lines of C):
 *   request:  `NAME=VALUE\0` for each CNI_* variable, then one more `\0`, then the plugin's
 *             stdin bytes; the shim half-closes when done.
 *   response: the exit code in ASCII, `\n`, then the bytes for the plugin's stdout.
 */
export const decodeRequest = (buf: Buffer): CniInvocation => {
  const env: Record<string, string> = {};
  let at = 0;
  for (;;) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error('request has no environment terminator');
    if (end === at) {
      at = end + 1;
      break;
    }
    const kv = buf.subarray(at, end).toString();
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    at = end + 1;
  }
  return { env, stdin: buf.subarray(at).toString() };
};

export const encodeRequest = (inv: CniInvocation): Buffer => {
  const parts = Object.entries(inv.env)
    .filter(([k, v]) => k.startsWith('CNI_') && v !== undefined)
    .map(([k, v]) => `${k}=${v}\0`);
  return Buffer.concat([Buffer.from(`${parts.join('')}\0`), Buffer.from(inv.stdin)]);
};

export const encodeResponse = (o: CniOutcome): Buffer => Buffer.from(`${o.exitCode}\n${o.stdout}`);

/** Serves CNI invocations on a unix socket that only root can open (dir 0700, socket 0600). */
export const serveCni = async (path: string, handle: (inv: CniInvocation) => Promise<CniOutcome>): Promise<Server> => {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await rm(path, { force: true });
  // allowHalfOpen: the shim half-closes to mark the end of stdin and then waits for the answer.
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => sock.destroy());
    sock.on('end', () => {
      let inv: CniInvocation;
      try {
        inv = decodeRequest(Buffer.concat(chunks));
      } catch (e) {
        sock.end(
          encodeResponse({
            exitCode: 1,
            stdout: `${JSON.stringify({ cniVersion: '1.0.0', code: 6, msg: (e as Error).message })}\n`,
          }),
        );
        return;
      }
      handle(inv).then(
        (o) => sock.end(encodeResponse(o)),
        (e: Error) =>
          sock.end(
            encodeResponse({
              exitCode: 1,
              stdout: `${JSON.stringify({ cniVersion: '1.0.0', code: 199, msg: e.message })}\n`,
            }),
          ),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
};
