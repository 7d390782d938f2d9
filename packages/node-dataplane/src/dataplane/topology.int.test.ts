import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testSeed } from '@eni-ipam/cloud/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName, POD_RULE_PRIORITY } from '../agent/host-layout.js';
import { AgentProcess } from '../testing/agent-process.js';
import { buildCniTools, type Driver, libcniDriver } from '../testing/cni-tools.js';
import { IpamdHarness, until } from '../testing/ipamd-harness.js';
import { requireNetns, sh } from '../testing/sh.js';

/*
 * The real thing in network namespaces: ipamd (startReplica on real etcd) allocating from the VPC
 * simulator through the real SDK adapter; the simulator made real by SimTopology (a VPC bridge
 * with the subnet gateway, two nodes whose ENIs appear as veths with the simulator's MACs when
 * ipamd attaches them, the VPC's neighbour entries for every bound address); an eni-agent
 * process per node with its node token; pods created by a libcni runtime through the C shim and
 * chained with Debian's tuning, portmap and bandwidth.
 *
 * Capacity per node: 2 secondary ENIs of 3 secondary addresses (maxEnis 3, ipsPerEni 4), warm
 * pool 2..4. On node A the exclusive pod comes first: ipamd hands an exclusive pod the lowest
 * attached pool ENI whatever it holds, so a shared pod already on that ENI would lose it.
 */
const SUBNET = '10.77.1.0/24';
const GATEWAY = '10.77.1.1';
const h = new IpamdHarness({
  seed: testSeed({ instances: 2, maxEnis: 3, ipsPerEni: 4, podCidr: SUBNET }),
  nodes: ['nA', 'nB'],
  cluster: { preBind: { min: 2, max: 4 } },
});
const t = h.topo;
const agents: Record<string, AgentProcess> = {};
const ns: Record<string, string> = {};
const drivers: Record<string, Driver> = {};
const conf: Record<string, string> = {};
const ips: Record<string, string> = {};
const node = (n: 'A' | 'B') => h.node(`n${n}`);
let tools: Awaited<ReturnType<typeof buildCniTools>>;

const inSubnet = (ip: string) => ip.startsWith('10.77.1.') && ip !== GATEWAY;

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

type AddResult = { ips: { address: string; gateway: string }[]; interfaces: { name: string; mac: string }[] };

/** ADD through libcni in the node's namespace; code 11 (the pool is refilling) is retried as kubelet does. */
const addPod = async (n: 'A' | 'B', pod: string, list = conf[n] ?? '') => {
  ns[pod] = await t.addPodNs(pod);
  const r = await until(async () => {
    const r = await drivers[n]?.run('add', list, `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
    const try11 = r?.code !== 0 && (JSON.parse(r?.stdout || '{}') as { code?: number }).code === 11;
    return !try11 && r;
  }, `ADD ${pod}`);
  expect(r.code, `${r.stdout} ${r.stderr} ${agents[n]?.log}`).toBe(0);
  const result = JSON.parse(r.stdout) as AddResult;
  ips[pod] = result.ips[0]?.address.split('/')[0] ?? '';
  return result;
};

/** The link (name, index) with `mac` in namespace `where`. */
const linkOf = async (where: string, mac: string) => {
  const links = JSON.parse(await t.ip(where, ['-j', 'link'])) as { ifname: string; ifindex: number; address: string }[];
  return links.find((l) => l.address === mac);
};

describe('dataplane in real network namespaces, addresses from the real ipamd', () => {
  beforeAll(async () => {
    requireNetns();
    tools = await buildCniTools();
    await h.start();
    for (const n of ['A', 'B'] as const) {
      const { name, ns: nodeNs } = node(n);
      ns[n] = nodeNs;
      agents[n] = new AgentProcess({
        node: name,
        netns: nodeNs,
        ipamdUrl: h.url,
        token: h.token(name),
        workDir: tools.workDir,
      });
      drivers[n] = libcniDriver(tools, nodeNs);
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
    await h.stop();
    if (tools) rmSync(tools.workDir, { recursive: true, force: true });
  });

  it('an exclusive pod holds its ENI (attached by ipamd, plugged by the VPC) inside its netns', async () => {
    const ax = await addPod('A', 'ax', conf.AX);
    const eni = h.eniOf(ips.ax ?? '');
    expect(eni, `${ips.ax} is an ENI's primary address in the VPC`).toBeDefined();
    expect(ax).toMatchObject({
      ips: [{ address: `${ips.ax}/24`, gateway: GATEWAY }],
      interfaces: [{ name: 'eth0', mac: eni?.mac }],
    });
    expect(h.sim?.dump().enis.find((e) => e.eniId === eni?.eniId)).toMatchObject({
      primaryIp: ips.ax,
      instanceId: node('A').instanceId,
    });
    expect(await t.ip(ns.ax ?? '', ['-br', 'link', 'show', 'dev', 'eth0'])).toContain(eni?.mac);
    expect(await linkOf(ns.A ?? '', eni?.mac ?? '')).toBeUndefined();
  });

  it('ADD through libcni gives shared pods a /32 bound in the VPC, a link-local default route and the chained MTU', async () => {
    const a1 = await addPod('A', 'a1');
    expect(a1).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: `${ips.a1}/32`, gateway: '169.254.1.1' }] });
    await addPod('B', 'b1');
    await addPod('B', 'b2');
    for (const [pod, n] of [
      ['a1', 'A'],
      ['b1', 'B'],
      ['b2', 'B'],
    ] as const) {
      const ip = ips[pod] ?? '';
      expect(inSubnet(ip), `${pod}: ${ip}`).toBe(true);
      // ipamd's allocation is the VPC's: a secondary address of an ENI attached to that node's instance
      const eni = h.sim?.dump().enis.find((e) => e.secondaryIps.includes(ip));
      expect(eni?.instanceId, `${pod}: ${ip}`).toBe(node(n).instanceId);
    }
    expect(new Set([ips.a1, ips.b1, ips.b2, ips.ax]).size).toBe(4);
    const eth0 = JSON.parse(await t.ip(ns.a1 ?? '', ['-j', 'addr', 'show', 'dev', 'eth0'])) as {
      mtu: number;
      addr_info: { local: string; prefixlen: number }[];
    }[];
    expect(eth0[0]?.mtu).toBe(1400); // set by the chained `tuning` plugin from our prevResult
    expect(eth0[0]?.addr_info.map((x) => `${x.local}/${x.prefixlen}`)).toContain(`${ips.a1}/32`);
    expect(await t.ip(ns.a1 ?? '', ['route', 'show', 'default'])).toContain('default via 169.254.1.1 dev eth0 onlink');
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
    const rules = await t.ip(ns.B ?? '', ['rule', 'show']);
    for (const pod of ['b1', 'b2']) {
      const ip = ips[pod] ?? '';
      const link = await linkOf(ns.B ?? '', h.eniOf(ip)?.mac ?? '');
      expect(link, `${pod}'s ENI is a link on node B`).toBeDefined();
      expect(rules).toContain(`${POD_RULE_PRIORITY}:\tfrom ${ip} lookup ${2000 + (link?.ifindex ?? 0)}`);
      expect(await t.ip(ns.B ?? '', ['route', 'show', ip])).toContain(
        `dev ${hostVethName(`ctr-${pod}`)} proto 77 scope link`,
      );
    }
    // every ENI ipamd attached to node B has its table: the default route through the gateway on it
    const attached = (await h.nodeState(node('B').name)).enis;
    expect(attached.length).toBeGreaterThan(0);
    for (const e of attached) {
      const link = await linkOf(ns.B ?? '', e.mac);
      expect(link, e.id).toBeDefined();
      expect((await t.ip(ns.B ?? '', ['route', 'show', 'table', String(2000 + (link?.ifindex ?? 0))])).trim()).toBe(
        `default via ${GATEWAY} dev ${link?.ifname} proto 77 onlink`,
      );
      const v = await sh('ip', [
        'netns',
        'exec',
        ns.B ?? '',
        'sysctl',
        '-n',
        `net.ipv4.conf.${link?.ifname}.rp_filter`,
      ]);
      expect(v.stdout.trim(), link?.ifname).toBe('0');
    }
    for (const key of ['all', 'default']) {
      const v = await sh('ip', ['netns', 'exec', ns.B ?? '', 'sysctl', '-n', `net.ipv4.conf.${key}.rp_filter`]);
      expect(v.stdout.trim(), key).toBe('0');
    }
  });

  it('CHECK passes through the whole chain for every pod', async () => {
    for (const [n, pod, list] of [
      ['A', 'a1', conf.A],
      ['B', 'b1', conf.B],
      ['A', 'ax', conf.AX],
    ] as const) {
      const r = await drivers[n]?.run('check', list ?? '', `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
      expect(r?.code, r?.stdout).toBe(0);
    }
  });

  it('killing and restarting the agents keeps every ping working; restart removes only orphans', async () => {
    // An orphan as a crashed agent could leave it: a marked veth and a rule with no live pod.
    const orphan = hostVethName('ctr-long-gone');
    await t.batch(ns.B ?? '', [
      `link add ${orphan} type veth peer name orphanpeer`,
      'rule add from 10.77.1.199 lookup 2003 pref 512',
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
    expect(await t.ip(ns.B ?? '', ['rule', 'show'])).not.toContain('10.77.1.199');
    // and the restarted agent serves new pods
    await addPod('B', 'b3');
    expect(await t.ping(ns.a1 ?? '', ips.b3 ?? '')).toBe(true);
  });

  it('DEL leaves no rule, route or veth behind, and returns the exclusive ENI; DEL again succeeds', async () => {
    const axMac = h.eniOf(ips.ax ?? '')?.mac ?? '';
    for (const [n, pod, list] of [
      ['A', 'a1', conf.A],
      ['B', 'b1', conf.B],
      ['B', 'b2', conf.B],
      ['B', 'b3', conf.B],
      ['A', 'ax', conf.AX],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const r = await drivers[n]?.run('del', list ?? '', `ctr-${pod}`, t.nsPath(ns[pod] ?? ''));
        expect(r?.code, r?.stdout).toBe(0);
      }
    }
    for (const n of ['A', 'B']) {
      expect(await t.ip(ns[n] ?? '', ['rule', 'show'])).not.toContain(`${POD_RULE_PRIORITY}:`);
      expect(await t.ip(ns[n] ?? '', ['route', 'show'])).not.toContain('proto 77');
      expect(await t.ip(ns[n] ?? '', ['link'])).not.toMatch(/enia[0-9a-f]{10}/);
    }
    expect(await linkOf(ns.A ?? '', axMac), 'the exclusive ENI is back on node A').toBeDefined();
    expect(await t.ip(ns.ax ?? '', ['-br', 'link'])).not.toContain('eth0');
    for (const n of ['A', 'B'] as const) expect((await h.nodeState(node(n).name)).allocations).toEqual([]);
    // Each agent acknowledges the last revision of its own node's feed.
    for (const n of ['A', 'B'] as const) {
      const name = node(n).name;
      const last = await h.lastFeedRevision(name);
      expect(last).toBeGreaterThan(0);
      await until(async () => (await h.ackedRevision(name)) === last, `${name} acknowledges ${last}`, 10_000).catch(
        () => undefined,
      );
      expect(await h.ackedRevision(name), name).toBe(last);
    }
    expect(t.errors).toEqual([]);
  });
});
