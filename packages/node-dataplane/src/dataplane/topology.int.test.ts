import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName, POD_RULE_PRIORITY } from '../agent/host-layout.js';
import { AgentProcess } from '../testing/agent-process.js';
import { buildCniTools, type Driver, libcniDriver } from '../testing/cni-tools.js';
import { FakeIpamd } from '../testing/fake-ipamd.js';
import { requireNetns, sh } from '../testing/sh.js';
import { Topology } from '../testing/topology.js';

/*
 * The real thing in network namespaces: a VPC bridge, two nodes with two veth "ENIs" each, an
 * eni-agent process per node, pods created by a libcni runtime through the C shim and chained
 * with Debian's tuning, portmap and bandwidth. ipamd is, FOR NOW, the in-memory FakeIpamd
 * (packages/ipamd does not exist yet); it serves API.md honestly.
 */
const mac = (node: number, eni: number) => `52:54:00:aa:0${node}:0${eni}`;
const t = new Topology();
const ipamd = new FakeIpamd({ onAllocated: (_node, a) => t.bindIp(a.ip, a.eniMac) });
const agents: Record<string, AgentProcess> = {};
const ns: Record<string, string> = {};
const drivers: Record<string, Driver> = {};
const conf: Record<string, string> = {};
const ips: Record<string, string> = {};
let tools: Awaited<ReturnType<typeof buildCniTools>>;

const eni = (n: number, e: number, primaryIp: string, mode: 'shared' | 'exclusive') => ({
  id: `eni-${n}${e}`,
  mac: mac(n, e),
  primaryIp,
  subnetCidr: t.subnet,
  gateway: t.gateway,
  mode,
});

const writeConflist = (name: string, agent: AgentProcess, type: string, chain: object[]) => {
  const path = join(tools.workDir, `${name}.conflist`);
  const plugins = [{ type, agentSocket: agent.socketPath }, ...chain];
  writeFileSync(path, JSON.stringify({ cniVersion: '1.0.0', name: `vpc-${name}`, plugins }));
  return path;
};

const chain = [
  { type: 'tuning', mtu: 1400 },
  { type: 'portmap', capabilities: { portMappings: true } },
  // Debian's bandwidth 1.1.1 CHECK dereferences a nil config when no rate is set: give it one.
  { type: 'bandwidth', ingressRate: 1_000_000_000, ingressBurst: 100_000_000 },
];

/** ADD through libcni in the node's namespace; returns the pod's address. */
const addPod = async (node: 'A' | 'B', pod: string, list = conf[node] ?? '') => {
  ns[pod] = await t.addPodNs(pod);
  const r = await drivers[node]?.run('add', list, `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
  expect(r?.code, `${r?.stdout} ${r?.stderr} ${agents[node]?.log}`).toBe(0);
  const result = JSON.parse(r?.stdout ?? '{}') as { ips: { address: string }[] };
  ips[pod] = result.ips[0]?.address.split('/')[0] ?? '';
  return result;
};

describe('dataplane in real network namespaces', () => {
  beforeAll(async () => {
    requireNetns();
    tools = await buildCniTools();
    await t.build();
    await ipamd.start();
    const spec = {
      A: [eni(1, 1, '10.77.1.10', 'shared'), eni(1, 2, '10.77.1.20', 'exclusive')],
      B: [eni(2, 1, '10.77.1.30', 'shared'), eni(2, 2, '10.77.1.40', 'shared')],
    };
    const secondaries: Record<string, string[]> = {
      'eni-11': ['10.77.1.11', '10.77.1.12', '10.77.1.13'],
      'eni-21': ['10.77.1.31'],
      'eni-22': ['10.77.1.41', '10.77.1.42', '10.77.1.43'],
    };
    for (const node of ['A', 'B'] as const) {
      const enis = spec[node];
      ns[node] = await t.addNode(
        `n${node}`,
        enis.map((e, i) => ({
          name: `eth${i + 1}`,
          mac: e.mac,
          primaryIp: e.primaryIp,
          configure: e.mode === 'shared',
        })),
      );
      ipamd.addNode(node, `token-${node}`);
      for (const e of enis) ipamd.attachEni(node, e, secondaries[e.id] ?? []);
      agents[node] = new AgentProcess({
        node,
        netns: ns[node] ?? '',
        ipamdUrl: ipamd.url,
        token: `token-${node}`,
        workDir: tools.workDir,
      });
      drivers[node] = libcniDriver(tools, ns[node] ?? '');
    }
    await Promise.all([agents.A?.start(), agents.B?.start()]);
    conf.A = writeConflist('A', agents.A as AgentProcess, 'tke-route-eni', chain);
    conf.B = writeConflist('B', agents.B as AgentProcess, 'tke-route-eni', chain);
    conf.AX = writeConflist('AX', agents.A as AgentProcess, 'tke-direct-eni', [
      { type: 'portmap', capabilities: { portMappings: true } },
    ]);
  });

  afterAll(async () => {
    await Promise.all(Object.values(agents).map((a) => a.kill()));
    await ipamd.stop();
    await t.destroy();
    if (tools) rmSync(tools.workDir, { recursive: true, force: true });
  });

  it('ADD through libcni gives shared pods a /32, a link-local default route and the chained MTU', async () => {
    const a1 = await addPod('A', 'a1');
    expect(a1).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.77.1.11/32', gateway: '169.254.1.1' }] });
    await addPod('B', 'b1');
    await addPod('B', 'b2');
    expect([ips.b1, ips.b2]).toEqual(['10.77.1.31', '10.77.1.41']);
    const eth0 = JSON.parse(await t.ip(ns.a1 ?? '', ['-j', 'addr', 'show', 'dev', 'eth0'])) as {
      mtu: number;
      addr_info: { local: string; prefixlen: number }[];
    }[];
    expect(eth0[0]?.mtu).toBe(1400); // set by the chained `tuning` plugin from our prevResult
    expect(eth0[0]?.addr_info.map((x) => `${x.local}/${x.prefixlen}`)).toContain('10.77.1.11/32');
    expect(await t.ip(ns.a1 ?? '', ['route', 'show', 'default'])).toContain('default via 169.254.1.1 dev eth0 onlink');
  });

  it('an exclusive pod holds its ENI inside its netns', async () => {
    const ax = await addPod('A', 'ax', conf.AX);
    expect(ax).toMatchObject({
      ips: [{ address: '10.77.1.20/24', gateway: '10.77.1.1' }],
      interfaces: [{ name: 'eth0', mac: mac(1, 2) }],
    });
    expect(await t.ip(ns.ax ?? '', ['-br', 'link', 'show', 'dev', 'eth0'])).toContain(mac(1, 2));
    expect(await t.ip(ns.A ?? '', ['-br', 'link'])).not.toContain(mac(1, 2));
  });

  it('pods reach each other across nodes by VPC address, and the VPC reaches every pod', async () => {
    for (const [from, to] of [
      ['a1', 'b1'],
      ['a1', 'b2'],
      ['b1', 'a1'],
      ['ax', 'b1'],
      ['b2', 'ax'],
      ['ax', 'a1'],
    ] as const) {
      expect(await t.ping(ns[from] ?? '', ips[to] ?? ''), `${from} -> ${to} (${ips[to]})`).toBe(true);
    }
    for (const pod of ['a1', 'b1', 'b2', 'ax']) expect(await t.ping(t.vpc, ips[pod] ?? ''), `vpc -> ${pod}`).toBe(true);
  });

  it('ip rule and the per-ENI route tables are as specified; rp_filter is 0', async () => {
    const links = JSON.parse(await t.ip(ns.B ?? '', ['-j', 'link'])) as { ifname: string; ifindex: number }[];
    const idx = (name: string) => links.find((l) => l.ifname === name)?.ifindex ?? -1;
    const [t1, t2] = [2000 + idx('eth1'), 2000 + idx('eth2')];
    const rules = await t.ip(ns.B ?? '', ['rule', 'show']);
    expect(rules).toContain(`${POD_RULE_PRIORITY}:\tfrom 10.77.1.31 lookup ${t1}`);
    expect(rules).toContain(`${POD_RULE_PRIORITY}:\tfrom 10.77.1.41 lookup ${t2}`);
    expect((await t.ip(ns.B ?? '', ['route', 'show', 'table', String(t1)])).trim()).toBe(
      'default via 10.77.1.1 dev eth1 proto 77 onlink',
    );
    expect((await t.ip(ns.B ?? '', ['route', 'show', 'table', String(t2)])).trim()).toBe(
      'default via 10.77.1.1 dev eth2 proto 77 onlink',
    );
    expect(await t.ip(ns.B ?? '', ['route', 'show', '10.77.1.31'])).toContain(
      `dev ${hostVethName('ctr-b1')} proto 77 scope link`,
    );
    for (const key of ['all', 'default', 'eth1', 'eth2']) {
      const v = await sh('ip', ['netns', 'exec', ns.B ?? '', 'sysctl', '-n', `net.ipv4.conf.${key}.rp_filter`]);
      expect(v.stdout.trim(), key).toBe('0');
    }
  });

  it('CHECK passes through the whole chain for every pod', async () => {
    for (const [node, pod, list] of [
      ['A', 'a1', conf.A],
      ['B', 'b1', conf.B],
      ['A', 'ax', conf.AX],
    ] as const) {
      const r = await drivers[node]?.run('check', list ?? '', `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
      expect(r?.code, r?.stdout).toBe(0);
    }
  });

  it('killing and restarting the agents keeps every ping working; restart removes only orphans', async () => {
    // An orphan as a crashed agent could leave it: a marked veth and a rule with no live pod.
    const orphan = hostVethName('ctr-long-gone');
    await t.batch(ns.B ?? '', [
      `link add ${orphan} type veth peer name orphanpeer`,
      'rule add from 10.77.1.99 lookup 2003 pref 512',
    ]);
    const rulesBefore = await t.ip(ns.A ?? '', ['rule', 'show']);
    const pinger = sh('ip', ['netns', 'exec', ns.a1 ?? '', 'ping', '-c', '30', '-i', '0.1', '-W', '1', ips.b1 ?? '']);
    await Promise.all([agents.A?.kill(), agents.B?.kill()]);
    expect(await t.ping(ns.b2 ?? '', ips.ax ?? '')).toBe(true);
    await Promise.all([agents.A?.start(), agents.B?.start()]);
    const ping = await pinger;
    expect(ping.stdout).toContain(' 0% packet loss');
    for (const [from, to] of [
      ['a1', 'b1'],
      ['ax', 'b2'],
      ['b1', 'a1'],
    ] as const)
      expect(await t.ping(ns[from] ?? '', ips[to] ?? '')).toBe(true);
    expect(await t.ip(ns.A ?? '', ['rule', 'show'])).toBe(rulesBefore);
    expect(await t.ip(ns.B ?? '', ['link'])).not.toContain(orphan);
    expect(await t.ip(ns.B ?? '', ['rule', 'show'])).not.toContain('10.77.1.99');
    // and the restarted agent serves new pods
    await addPod('B', 'b3');
    expect(await t.ping(ns.a1 ?? '', ips.b3 ?? '')).toBe(true);
  });

  it('DEL leaves no rule, route or veth behind, and returns the exclusive ENI; DEL again succeeds', async () => {
    for (const [node, pod, list] of [
      ['A', 'a1', conf.A],
      ['B', 'b1', conf.B],
      ['B', 'b2', conf.B],
      ['B', 'b3', conf.B],
      ['A', 'ax', conf.AX],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const r = await drivers[node]?.run('del', list ?? '', `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
        expect(r?.code, r?.stdout).toBe(0);
      }
    }
    for (const node of ['A', 'B']) {
      expect(await t.ip(ns[node] ?? '', ['rule', 'show'])).not.toContain(`${POD_RULE_PRIORITY}:`);
      expect(await t.ip(ns[node] ?? '', ['route', 'show'])).not.toContain('proto 77');
      expect(await t.ip(ns[node] ?? '', ['link'])).not.toMatch(/enia[0-9a-f]{10}/);
    }
    expect(await t.ip(ns.A ?? '', ['-br', 'link', 'show', 'dev', 'eth2'])).toContain(mac(1, 2));
    expect(await t.ip(ns.a1 ?? '', ['-br', 'link'])).not.toContain('eth0');
    expect(ipamd.nodes.get('A')?.allocations.size).toBe(0);
    // Each agent acknowledges the last revision of its own node's feed.
    for (const node of ['A', 'B']) {
      const last = ipamd.nodes.get(node)?.events.at(-1)?.revision;
      for (let i = 0; i < 100 && ipamd.acks(node).at(-1) !== last; i++) await new Promise((r) => setTimeout(r, 50));
      expect(ipamd.acks(node).at(-1), node).toBe(last);
    }
  });
});
