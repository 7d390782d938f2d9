/**
 * `npm run bench:cni [-- --json] [-- --pods N] [-- --real-ipamd]`: CNI ADD and DEL latency in real
 * network namespaces (packages/node-dataplane/src/testing/cni-bench.ts, shared with item 9 of
 * `npm run bench`), printed as a table or, with --json, as JSON. `--real-ipamd`: against the real
 * ipamd (etcd, the simulator made real by SimTopology) instead of FakeIpamd.
 */
import { runCniBench, type Stats } from '../src/testing/cni-bench.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const pods = Number(args[args.indexOf('--pods') + 1] ?? 100) || 100;
const realIpamd = args.includes('--real-ipamd');
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : process.stdout.write(`${s}\n`));

const main = async () => {
  const report = await runCniBench({ pods, log, realIpamd });
  const { reference: ref, shim, nodeForwarder: nodeFwd } = report.ms;
  const execCost = report.execCostMs;
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const row = (n: string, s: { add: Stats; del: Stats }) =>
      `${n.padEnd(32)} ADD p50 ${String(s.add.p50).padStart(7)} p99 ${String(s.add.p99).padStart(7)}   DEL p50 ${String(s.del.p50).padStart(7)} p99 ${String(s.del.p99).padStart(7)}  (ms)`;
    log('');
    log(row('reference (ptp + host-local)', ref));
    log(row('eni-ipam, C shim', shim));
    log(row('eni-ipam, Node forwarder', nodeFwd));
    log(
      `ADD p50 vs reference: ${report.addP50VsReference}x (target <= 2x: ${report.targetMet ? 'met' : 'NOT met'}), p99: ${report.addP99VsReference}x`,
    );
    log(
      `exec cost p50 (ms): node -e 0 ${execCost.nodeBare.p50}, node from a V8 snapshot ${execCost.nodeSnapshot.p50}, Node forwarder VERSION ${execCost.nodeForwarderVersion.p50}, C shim VERSION ${execCost.shimVersion.p50}, ptp VERSION ${execCost.ptpVersion.p50}`,
    );
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
