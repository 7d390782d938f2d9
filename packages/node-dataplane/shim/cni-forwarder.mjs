#!/usr/bin/env node
// The same forwarder as cni-shim.c as a dependency-free Node file. Kept only to measure the
// Node exec path against the C shim in `npm run bench:cni`; the shim is what gets installed.
import { connect } from 'node:net';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const stdin = Buffer.concat(chunks);
let conf = {};
try {
  conf = JSON.parse(stdin.toString());
} catch {}
const version = typeof conf.cniVersion === 'string' ? conf.cniVersion : '1.0.0';
if (process.env.CNI_COMMAND === 'VERSION') {
  process.stdout.write(`${JSON.stringify({ cniVersion: version, supportedVersions: ['0.4.0', '1.0.0'] })}\n`);
  process.exit(0);
}
const env = Object.entries(process.env)
  .filter(([k]) => k.startsWith('CNI_'))
  .map(([k, v]) => `${k}=${v}\0`)
  .join('');
const sock = connect(conf.agentSocket ?? '/run/eni-agent/agent.sock');
const out = [];
sock.on('data', (c) => out.push(c));
sock.on('error', (e) => {
  process.stdout.write(
    `${JSON.stringify({ cniVersion: version, code: 11, msg: 'eni-agent is not reachable', details: e.message })}\n`,
  );
  process.exit(1);
});
sock.on('end', () => {
  const buf = Buffer.concat(out);
  const nl = buf.indexOf(10);
  process.stdout.write(buf.subarray(nl + 1));
  process.exitCode = Number(buf.subarray(0, nl).toString());
});
sock.end(Buffer.concat([Buffer.from(`${env}\0`), stdin]));
