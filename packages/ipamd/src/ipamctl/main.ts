import { main as cli } from './cli.js';

/** The process entry of `bin/ipamctl.mjs`: real argv, stdout/stderr and environment. */
export const main = (): Promise<number> =>
  cli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
  });
