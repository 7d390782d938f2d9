/**
 * `vpc-sim`: runs the VPC simulator until SIGINT/SIGTERM. Prints the address it listens on as
 * the first line of stdout (`vpc-sim listening on http://127.0.0.1:PORT`).
 *
 *   vpc-sim --seed vpc.json --secret-id AKID... --secret-key ... [--port 0] [--region ap-guangzhou]
 *           [--host 127.0.0.1] [--state state.json] [--attach-ms 300] [--detach-ms 300]
 *           [--no-rate-limit] [--random-seed 1]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startVpcSimulator } from './server.js';

const usage = `usage: vpc-sim --seed FILE --secret-id ID --secret-key KEY [--port N] [--host H] [--region R]
               [--state FILE] [--attach-ms N] [--detach-ms N] [--no-rate-limit] [--random-seed N]`;

const int = (name: string, v: string | undefined, dflt?: number): number | undefined => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer`);
  return Number(v);
};

export const main = async (argv: string[]): Promise<number> => {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'secret-id': { type: 'string' },
        'secret-key': { type: 'string' },
        region: { type: 'string' },
        seed: { type: 'string' },
        state: { type: 'string' },
        'attach-ms': { type: 'string' },
        'detach-ms': { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        'random-seed': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`vpc-sim: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const secretId = values['secret-id'];
  const secretKey = values['secret-key'];
  if (typeof secretId !== 'string' || typeof secretKey !== 'string' || (!values.seed && !values.state)) {
    console.error(`vpc-sim: --secret-id, --secret-key and --seed (or an existing --state) are required\n${usage}`);
    return 2;
  }
  try {
    const seed = typeof values.seed === 'string' ? JSON.parse(readFileSync(values.seed, 'utf8')) : undefined;
    const sim = await startVpcSimulator({
      seed,
      credentials: [{ secretId, secretKey }],
      ...(typeof values.region === 'string' ? { region: values.region } : {}),
      ...(typeof values.state === 'string' ? { statePath: values.state } : {}),
      host: typeof values.host === 'string' ? values.host : '127.0.0.1',
      port: int('port', values.port as string | undefined, 0) ?? 0,
      taskDurations: {
        AttachNetworkInterface: int('attach-ms', values['attach-ms'] as string | undefined, 300) ?? 300,
        DetachNetworkInterface: int('detach-ms', values['detach-ms'] as string | undefined, 300) ?? 300,
      },
      ...(values['no-rate-limit'] ? { rateLimits: false as const } : {}),
      randomSeed: int('random-seed', values['random-seed'] as string | undefined, Date.now() % 2 ** 31) ?? 1,
    });
    console.log(`vpc-sim listening on ${sim.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await sim.stop();
    return 0;
  } catch (e) {
    console.error(`vpc-sim: ${(e as Error).message}`);
    return 1;
  }
};

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  process.exitCode = await main(process.argv.slice(2));
}
