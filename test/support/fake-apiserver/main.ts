/**
 * Runs the fake apiserver as its own process, for the demo and for poking at it with kubectl:
 *
 *   node --import tsx test/support/fake-apiserver/main.ts --kubeconfig /tmp/kc.json [--port N] [--token T]
 *        [--bookmark-interval-ms MS] [--graceful-pod-deletion]
 *   KUBECONFIG=/tmp/kc.json kubectl get nodes
 *
 * Prints one JSON line `{"url":..., "pid":..., "kubeconfig":...}` on stdout once it listens, and
 * stops on SIGINT or SIGTERM.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startFakeApiServer } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    token: { type: 'string' },
    kubeconfig: { type: 'string' },
    'bookmark-interval-ms': { type: 'string', default: '5000' },
    'graceful-pod-deletion': { type: 'boolean', default: false },
  },
  strict: true,
});

const port = Number(values.port);
const bookmarkIntervalMs = Number(values['bookmark-interval-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
if (!Number.isInteger(bookmarkIntervalMs) || bookmarkIntervalMs <= 0) {
  throw new Error(`--bookmark-interval-ms: not a positive integer: ${values['bookmark-interval-ms']}`);
}

const api = await startFakeApiServer({
  port,
  bookmarkIntervalMs,
  gracefulPodDeletion: values['graceful-pod-deletion'],
  ...(values.token ? { token: values.token } : {}),
});
if (values.kubeconfig) await writeFile(values.kubeconfig, api.kubeConfigText(), { mode: 0o600 });
process.stdout.write(`${JSON.stringify({ url: api.url, pid: process.pid, kubeconfig: values.kubeconfig ?? null })}\n`);

const stop = async () => {
  await api.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
