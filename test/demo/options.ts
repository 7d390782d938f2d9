import { parseArgs } from 'node:util';

export interface DemoOptions {
  nodes: number;
  pods: number;
  /** Seconds of pod churn (the set-up and the final checks come on top). */
  duration: number;
  keep: boolean;
  /** Never real network namespaces, even as root. */
  ipamOnly: boolean;
}

export const USAGE = `usage: npm run demo -- [--nodes N] [--pods N] [--duration SECONDS] [--keep]

  --nodes N        simulated nodes, alternating between two zones (default 3, 2..12)
  --pods N         pods running at the peak: Deployment pods (shared ENI), a StatefulSet with
                   claim policy Never, exclusive-ENI pods (default 24, 4..200)
  --duration S     seconds of pod churn; the leader replica is killed midway (default 45, 10..600)
  --keep           leave the cluster running at the end and print how to reach it (Ctrl-C stops it)
  --ipam-only      no network namespaces even as root: agents and plugin on an in-memory host

As root with "ip netns", pods get real network namespaces and the demo pings between nodes;
otherwise (or with --ipam-only) it runs IPAM-only and says so.`;

export class UsageError extends Error {}

const int = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return Number(v);
};

/** Parses the demo's flags; bad ones throw a UsageError that names every problem's flag. */
export const parseDemoArgs = (argv: readonly string[]): DemoOptions | 'help' => {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        nodes: { type: 'string' },
        pods: { type: 'string' },
        duration: { type: 'string' },
        keep: { type: 'boolean' },
        'ipam-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    nodes: int('nodes', str('nodes'), 3, 2, 12),
    pods: int('pods', str('pods'), 24, 4, 200),
    duration: int('duration', str('duration'), 45, 10, 600),
    keep: values.keep === true,
    ipamOnly: values['ipam-only'] === true,
  };
};
