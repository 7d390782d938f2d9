#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { HttpIpamdClient } from '../ipamd/http-ipamd-client.js';
import { Iproute2NetOps } from '../netops/iproute2-net-ops.js';
import { Agent } from './agent.js';

/** eni-agent's configuration file (JSON), read once at start-up. */
export const AgentConfigSchema = z.object({
  node: z.string().min(1),
  ipamdUrl: z.url(),
  /** File holding the node's bearer token (never logged). */
  tokenFile: z.string().min(1),
  socketPath: z.string().default('/run/eni-agent/agent.sock'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  ip: z.string().default('/usr/sbin/ip'),
  nsenter: z.string().default('/usr/bin/nsenter'),
  /** Only when the agent runs outside the node's namespace (tests): that namespace's path. */
  hostNetns: z.string().optional(),
});

const main = async (): Promise<void> => {
  const path = process.argv[2];
  if (!path) throw new Error('usage: eni-agent <config.json>');
  const config = AgentConfigSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const log = pino({ level: config.logLevel, base: { node: config.node } });
  const agent = new Agent({
    socketPath: config.socketPath,
    ipamd: new HttpIpamdClient({
      baseUrl: config.ipamdUrl,
      node: config.node,
      token: readFileSync(config.tokenFile, 'utf8').trim(),
    }),
    net: new Iproute2NetOps({
      ip: config.ip,
      nsenter: config.nsenter,
      ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
    }),
    log,
    ...(config.hostNetns ? { selfNetns: config.hostNetns } : {}),
  });
  await agent.start();
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
