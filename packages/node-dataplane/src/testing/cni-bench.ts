/**
 * The CNI benchmark behind `npm run bench:cni` (packages/node-dataplane/bench/cni-bench.ts) and
 * item 9 of `npm run bench`: CNI ADD and DEL latency in real network
 * namespaces, p50 and p99 over N pods (default 100), for
 *   - reference: Debian's `ptp` + `host-local` (the same libcni driver, the same node namespace),
 *   - eni-ipam through the C shim (what gets installed),
 *   - eni-ipam through the dependency-free Node forwarder (the rejected exec path, for contrast),
 * plus the bare exec cost of each entry point (VERSION, which never reaches the agent).
 * ipamd is the in-memory FakeIpamd on loopback (the exec path and the agent alone), or with
 * `realIpamd` the real one (IpamdHarness: startReplica on Debian's etcd, the VPC simulator made
 * real by SimTopology; the warm pool filled to `pods` addresses first), so each ADD includes
 * ipamd's etcd append.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testSeed } from '@eni-ipam/cloud/testing';
import { AgentProcess } from './agent-process.js';
import { buildCniTools, PACKAGE_DIR } from './cni-tools.js';
import { FakeIpamd } from './fake-ipamd.js';
import { IpamdHarness, until } from './ipamd-harness.js';
import { must, requireNetns, sh } from './sh.js';
import { Topology } from './topology.js';

export interface Stats {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}
const stats = (xs: number[]): Stats => {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(rank(50)), p99: r(rank(99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), n: s.length };
};

const timeExec = async (cmd: string, argv: string[], env: NodeJS.ProcessEnv, input: string, runs: number) => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await sh(cmd, argv, { env, input });
    ms.push(performance.now() - t0);
    if (r.code !== 0) throw new Error(`${cmd} failed: ${r.stdout} ${r.stderr}`);
  }
  return stats(ms);
};

export interface CniBenchOptions {
  /** Pods per variant, 1..150 (one /24 subnet). */
  pods: number;
  /** Progress lines. */
  log(line: string): void;
  /** Against the real ipamd (at most 130 pods: the node holds 140 addresses). */
  realIpamd?: boolean;
}

/** Runs the CNI ADD/DEL benchmark (needs root) and returns the report `bench:cni --json` prints. */
export const runCniBench = async ({ pods, log, realIpamd = false }: CniBenchOptions) => {
  if (pods < 1 || pods > 150) throw new Error('pods must be within 1..150 (one /24 subnet)');
  if (realIpamd && pods > 130) throw new Error('realIpamd: pods must be within 1..130 (the node holds 140 addresses)');
  requireNetns();
  const tools = await buildCniTools();
  const harness = realIpamd
    ? new IpamdHarness({
        // one node: 7 secondary ENIs of 20 secondary addresses; the warm pool holds every pod
        seed: testSeed({ instances: 1, maxEnis: 8, ipsPerEni: 21, podCidr: '10.77.1.0/24' }),
        nodes: ['bench'],
        cluster: { preBind: { min: pods, max: pods } },
      })
    : undefined;
  const t: Topology = harness?.topo ?? new Topology();
  const ipamd = harness ? undefined : new FakeIpamd();
  let agent: AgentProcess | undefined;
  try {
    let node: string;
    if (harness) {
      await harness.start();
      node = harness.node('bench').ns;
      agent = new AgentProcess({
        node: 'node-0',
        netns: node,
        ipamdUrl: harness.url,
        token: harness.token('node-0'),
        workDir: tools.workDir,
      });
    } else if (ipamd) {
      await t.build();
      await ipamd.start();
      const mac = '52:54:00:cc:01:01';
      node = await t.addNode('bench', [{ name: 'eth1', mac, primaryIp: '10.77.1.5', configure: true }]);
      ipamd.addNode('bench', 'tok');
      const secondaries = Array.from({ length: 150 }, (_, i) => `10.77.1.${100 + i}`);
      ipamd.attachEni(
        'bench',
        { id: 'eni-b1', mac, primaryIp: '10.77.1.5', subnetCidr: t.subnet, gateway: t.gateway, mode: 'shared' },
        secondaries,
      );
      agent = new AgentProcess({
        node: 'bench',
        netns: node,
        ipamdUrl: ipamd.url,
        token: 'tok',
        workDir: tools.workDir,
      });
    } else {
      throw new Error('unreachable: neither harness nor FakeIpamd');
    }
    await agent.start();
    if (harness) {
      log(`real ipamd: filling the warm pool to ${pods} addresses ...`);
      await until(async () => (await harness.nodeSummary('node-0')).bound >= pods, 'the warm pool', 300_000);
    }

    // The Node forwarder as a plugin binary with an absolute interpreter (no `node` on PATH).
    const nodeBin = join(tools.workDir, 'node-bin');
    mkdirSync(nodeBin);
    const fwd = readFileSync(join(PACKAGE_DIR, 'shim', 'cni-forwarder.mjs'), 'utf8').replace(/^#!.*\n/, '');
    writeFileSync(join(nodeBin, 'tke-route-eni'), `#!${process.execPath}\n${fwd}`);
    chmodSync(join(nodeBin, 'tke-route-eni'), 0o755);
    copyFileSync(join(tools.binDir, 'tke-route-eni'), join(tools.workDir, 'shim-copy'));

    const conflist = (name: string, plugin: object) => {
      const path = join(tools.workDir, `${name}.conflist`);
      writeFileSync(path, JSON.stringify({ cniVersion: '1.0.0', name, plugins: [plugin] }));
      return path;
    };
    const variants = [
      {
        name: 'reference (ptp + host-local)',
        key: 'reference',
        list: conflist('ref', {
          type: 'ptp',
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.78.0.0/16' }]], dataDir: join(tools.workDir, 'hl') },
        }),
        path: '/usr/lib/cni',
      },
      {
        name: 'eni-ipam via C shim',
        key: 'shim',
        list: conflist('eni', { type: 'tke-route-eni', agentSocket: agent.socketPath }),
        path: tools.binDir,
      },
      {
        name: 'eni-ipam via Node forwarder',
        key: 'node',
        list: conflist('eni', { type: 'tke-route-eni', agentSocket: agent.socketPath }),
        path: nodeBin,
      },
    ];

    const results: Record<string, { add: Stats; del: Stats; raw: { add: number[]; del: number[] } }> = {};
    for (const v of variants) {
      log(`${v.name}: ${pods} pods ...`);
      const names: string[] = [];
      for (let i = 0; i < pods; i++) names.push(await t.addPodNs(`b${v.key[0]}${i}`));
      const env = {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_PATH: v.path,
        CNI_CACHE_DIR: join(tools.workDir, `cache-${v.key}`),
      };
      const out = await must(
        'ip',
        ['netns', 'exec', node, tools.driver, 'bench', v.list, 'eth0', ...names.map((n) => t.nsPath(n))],
        { env },
      );
      const raw = JSON.parse(out) as { add: number[]; del: number[] };
      results[v.key] = { add: stats(raw.add), del: stats(raw.del), raw };
      for (const n of names) await sh('ip', ['netns', 'del', n]);
    }

    // Option "V8 start-up snapshot": a VERSION answerer restored from a snapshot blob.
    const snapEntry = join(tools.workDir, 'snap-entry.cjs');
    const snapBlob = join(tools.workDir, 'snap.blob');
    writeFileSync(
      snapEntry,
      'require(\'node:v8\').startupSnapshot.setDeserializeMainFunction(() => process.stdout.write(\'{"cniVersion":"1.0.0"}\\n\'));\n',
    );
    await must(process.execPath, ['--snapshot-blob', snapBlob, '--build-snapshot', snapEntry]);
    const execEnv = { PATH: '/usr/sbin:/usr/bin', CNI_COMMAND: 'VERSION' };
    const execCost = {
      nodeBare: await timeExec(process.execPath, ['-e', '0'], {}, '', 20),
      nodeSnapshot: await timeExec(process.execPath, ['--snapshot-blob', snapBlob], {}, '', 20),
      nodeForwarderVersion: await timeExec(join(nodeBin, 'tke-route-eni'), [], execEnv, '{"cniVersion":"1.0.0"}', 20),
      shimVersion: await timeExec(join(tools.binDir, 'tke-route-eni'), [], execEnv, '{"cniVersion":"1.0.0"}', 20),
      ptpVersion: await timeExec('/usr/lib/cni/ptp', [], execEnv, '{"cniVersion":"1.0.0"}', 20),
    };
    const ref = results.reference as NonNullable<(typeof results)['reference']>;
    const shim = results.shim as NonNullable<(typeof results)['shim']>;
    const nodeFwd = results.node as NonNullable<(typeof results)['node']>;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const report = {
      pods,
      ipamd: harness ? 'real' : 'fake',
      addP50VsReference: ratio(shim.add.p50, ref.add.p50),
      addP99VsReference: ratio(shim.add.p99, ref.add.p99),
      delP50VsReference: ratio(shim.del.p50, ref.del.p50),
      nodeForwarderAddP50VsReference: ratio(nodeFwd.add.p50, ref.add.p50),
      targetMet: shim.add.p50 <= 2 * ref.add.p50,
      ms: {
        reference: { add: ref.add, del: ref.del },
        shim: { add: shim.add, del: shim.del },
        nodeForwarder: { add: nodeFwd.add, del: nodeFwd.del },
      },
      execCostMs: execCost,
      raw: { reference: ref.raw, shim: shim.raw, nodeForwarder: nodeFwd.raw },
    };
    return report;
  } finally {
    await agent?.kill();
    if (harness) await harness.stop();
    else {
      await ipamd?.stop();
      await t.destroy();
    }
    rmSync(tools.workDir, { recursive: true, force: true });
  }
};
