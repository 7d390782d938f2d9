/**
 * `npm run demo`: the whole system on one machine, live, then proven. See test/demo/README.md.
 * Exit codes: 0 every check passed; 1 a check failed (or the demo could not run); 2 bad flags;
 * 130 stopped by a signal (everything it started is stopped and removed first).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cleanups, type Cluster, startCluster } from './cluster.js';
import { busiestAddress, crossCheck, ipamctl } from './finale.js';
import { KubeletSim } from './kubelet.js';
import { netnsUnavailable, pingChecks } from './netns.js';
import { type DemoOptions, parseDemoArgs, USAGE, UsageError } from './options.js';
import { StatusBoard } from './status.js';
import { runWorkload } from './workload.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (s: string) => process.stdout.write(`${s}\n`);

/** Invariant 7 as the pods saw it: each StatefulSet pod name (claim policy Never) kept one address. */
const claimCheck = (kubelet: KubeletSim) => {
  const names = [...kubelet.claimed.entries()];
  const moved = names.filter(([, ips]) => ips.size > 1).map(([n, ips]) => `${n}: ${[...ips].join(', ')}`);
  const restarts = kubelet.stats.dbRestarts;
  return {
    ok: moved.length === 0,
    what: moved.length
      ? `StatefulSet pods changed address: ${moved.join('; ')}`
      : `${names.length} StatefulSet pods kept their address across ${restarts} reschedule${restarts === 1 ? '' : 's'} (claim policy Never)`,
  };
};

const main = async (): Promise<number> => {
  let opts: ReturnType<typeof parseDemoArgs>;
  try {
    opts = parseDemoArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`demo: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts === 'help') {
    log(USAGE);
    return 0;
  }

  const cleanups = new Cleanups();
  let stopping: Promise<never> | undefined;
  const stop = (sig: NodeJS.Signals) => {
    stopping ??= (async () => {
      log(`\ndemo: ${sig}: stopping everything it started`);
      await cleanups.run(log);
      log('demo: stopped; no process, socket or temp dir left behind');
      process.exit(130);
    })();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));

  const t0 = Date.now();
  log(`eni-ipam demo: ${opts.nodes} nodes in 2 zones, ${opts.pods} pods, ${opts.duration} s of churn`);
  const noNetns = opts.ipamOnly ? '--ipam-only' : netnsUnavailable();
  if (noNetns) {
    log(
      `dataplane: IPAM-only (${noNetns}). Each node agent and CNI plugin run for real, but against an` +
        ' in-memory host (no network namespaces, so no ping between nodes)',
    );
  } else {
    log(
      'dataplane: real network namespaces. The VPC is a bridge, each node a namespace whose ENIs are veths,' +
        ' each pod a namespace configured by the agent through netlink; pings prove it at the end',
    );
  }
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      repoRoot,
      nodeCount: opts.nodes,
      cleanups,
      say: (s) => log(`demo: ${s}`),
      netns: noNetns === undefined,
    });
  } catch (e) {
    log(`demo: the cluster did not start: ${(e as Error).stack ?? e}`);
    await cleanups.run(log);
    return 1;
  }
  log(`demo: cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  try {
    return await demo(opts, cluster, cleanups, t0, () => stopping !== undefined);
  } catch (e) {
    log(`demo: failed: ${(e as Error).stack ?? e}`);
    await cleanups.run(log);
    return 1;
  }
};

const demo = async (
  opts: DemoOptions,
  cluster: Cluster,
  cleanups: Cleanups,
  t0: number,
  stopping: () => boolean,
): Promise<number> => {
  const kubelet = new KubeletSim(cluster.kube, cluster.agents, cluster.nodes);
  cleanups.add('the kubelet simulation', () => kubelet.stop());
  const board = new StatusBoard(cluster, kubelet);
  const workload = await runWorkload({ opts, cluster, kubelet, board });
  board.freeze();

  log('\n== ipamctl verify (replay of the whole log: invariants, live snapshot)');
  const verify = await ipamctl(repoRoot, cluster, ['verify']);
  log(verify.out.trimEnd());
  const sample = busiestAddress(kubelet);
  if (sample) {
    log(`\n== ipamctl history ip ${sample.ip} (held in turn by ${sample.pods.join(', ')})`);
    log((await ipamctl(repoRoot, cluster, ['history', 'ip', sample.ip])).out.trimEnd());
  }
  log('\n== ipamctl what-if --min-prebind 0 --max-prebind 1 (the same churn with a smaller warm pool; recorded: 2/4)');
  const whatIf = await ipamctl(repoRoot, cluster, ['what-if', '--min-prebind', '0', '--max-prebind', '1']);
  log(whatIf.out.trimEnd());

  const problems = await crossCheck(cluster, kubelet);
  const pings = cluster.netns
    ? await pingChecks(
        cluster.netns,
        [...kubelet.pods.values()].flatMap((p) => {
          const ns = p.state === 'running' && p.ip ? cluster.netns?.nsOf(p.containerId) : undefined;
          return ns && p.ip ? [{ name: p.name, kind: p.kind, node: p.node.name, ip: p.ip, ns }] : [];
        }),
      )
    : [];
  if (cluster.netns) {
    log('\n== ping between pods in their network namespaces');
    for (const c of pings) log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  }
  const checks = [
    { ok: verify.code === 0, what: `ipamctl verify exit ${verify.code} (0 = no violation)` },
    { ok: problems.length === 0, what: `pods agree with ipamd${problems.length ? `: ${problems.join('; ')}` : ''}` },
    { ok: workload.failover !== undefined, what: workload.failoverText },
    {
      ok: sample !== undefined,
      what: sample ? `address ${sample.ip} passed between ${sample.pods.length} pods` : 'no address was reused',
    },
    { ok: whatIf.code === 0, what: `ipamctl what-if exit ${whatIf.code}` },
    claimCheck(kubelet),
    ...pings,
  ];
  const s = await board.snapshot();
  log('\n== summary');
  log(
    `  ${kubelet.stats.adds} CNI ADDs (${kubelet.stats.addRetries} retried "try again later"), ${kubelet.stats.dels} DELs;` +
      ` ${s.pods.running} pods running at the end (web ${s.pods.web}, db ${s.pods.db}, edge ${s.pods.edge})`,
  );
  log(`  ${s.enis} ENIs attached, ${s.cloudCalls} VPC API calls, ${s.events} events written; leader ${s.leader}`);
  if (kubelet.stats.errors.length) log(`  CNI errors seen (retried): ${kubelet.stats.errors.slice(0, 5).join(' | ')}`);
  for (const c of checks) log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  const ok = checks.every((c) => c.ok);
  log(`demo: ${ok ? 'every check passed' : 'a check FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  if (opts.keep && !stopping()) {
    const ctl = `npm run ipamctl -- ${cluster.ipamctlArgs.join(' ')}`;
    log('\n== --keep: the cluster stays up until Ctrl-C');
    log(`  ipamctl:   ${ctl} status`);
    log(`  API:       curl -H 'authorization: Bearer ${cluster.adminToken}' ${cluster.service.url}/v1/nodes`);
    const live = cluster.replicas.filter((r) => r.alive);
    log(
      `  metrics:   ${live.map((r) => `curl ${r.url}/metrics`).join('; ')}   (${live.map((r) => r.spec.id).join(', ')})`,
    );
    log(`  kubectl:   KUBECONFIG=${cluster.kubeconfigPath} kubectl get pods -o wide`);
    log(`  simulator: curl ${cluster.sim.url}/_sim/state`);
    await new Promise(() => undefined);
  }
  await kubelet.stop();
  await cleanups.run(log);
  return ok ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
