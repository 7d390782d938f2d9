import { hostname } from 'node:os';
import { isIpamError } from '@eni-ipam/core';
import { ConfigError, loadConfig } from '../config/config.js';
import { loadSecrets } from '../config/secrets.js';
import { createLogger, describeConfig } from '../observability/logger.js';
import { type Replica, startReplica } from './replica.js';

export interface MainIo {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Exit code of a configuration problem (bad flag, environment or secret file). */
export const EXIT_CONFIG = 2;

/**
 * Parses the configuration and starts a replica. Returns an exit code (help: 0, bad
 * configuration: 2, printed on stderr) or the running replica.
 */
export const start = async (io: MainIo): Promise<number | Replica> => {
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = loadConfig({ argv: io.argv, env: io.env, hostname: hostname() });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`ipamd: ${e.message}\n(ipamd --help lists the flags)\n`);
    return EXIT_CONFIG;
  }
  if (config.kind === 'help') {
    io.out(config.text);
    return 0;
  }
  let secrets: Awaited<ReturnType<typeof loadSecrets>>;
  try {
    secrets = await loadSecrets(config.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`ipamd: ${e.message}\n`);
    return EXIT_CONFIG;
  }
  const c = config.config;
  const logger = createLogger({ level: c.logLevel, replicaId: c.replicaId });
  logger.info({ config: describeConfig(c) }, 'ipamd starting');
  // in a pod, other replicas reach this one at its pod IP (the downward API's POD_IP)
  const podIp = io.env.POD_IP;
  const scheme = c.listen.tls ? 'https' : 'http';
  const host = podIp?.includes(':') ? `[${podIp}]` : podIp;
  return startReplica(c, secrets, {
    logger,
    ...(host && c.listen.port !== 0 ? { advertiseUrl: `${scheme}://${host}:${c.listen.port}` } : {}),
  });
};

/** The process entry of `bin/ipamd.mjs`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export const main = async (): Promise<number> => {
  const io: MainIo = {
    argv: process.argv.slice(2),
    env: process.env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };
  let replica: number | Replica;
  try {
    replica = await start(io);
  } catch (e) {
    io.err(`ipamd: cannot start: ${isIpamError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
    return 1;
  }
  if (typeof replica === 'number') return replica;
  const running = replica;
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await running.stop();
  return 0;
};
