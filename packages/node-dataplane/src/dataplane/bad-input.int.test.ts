import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testSeed } from '@eni-ipam/cloud/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../testing/agent-process.js';
import { buildCniTools, libcniDriver } from '../testing/cni-tools.js';
import { IpamdHarness, until } from '../testing/ipamd-harness.js';
import { requireNetns, sh } from '../testing/sh.js';

/*
 * Bad input through the real exec path (C shim -> agent process -> netns): a clear spec error
 * on stdout, exit status 1, and nothing left behind. ipamd is real (startReplica on real etcd,
 * the VPC simulator made real by SimTopology); the node's capacity is one pod address (one
 * secondary ENI with one secondary IP), so a second pod meets an exhausted pool.
 */
const h = new IpamdHarness({
  seed: testSeed({ instances: 1, maxEnis: 2, ipsPerEni: 2, podCidr: '10.77.1.0/24' }),
  nodes: ['nN'],
  cluster: { preBind: { min: 1, max: 1 } },
});
const t = h.topo;
const NODE = 'node-0';
/** The node's one pod address, as the VPC bound it. */
let podIp = '';
let tools: Awaited<ReturnType<typeof buildCniTools>>;
let agent: AgentProcess;
let node = '';
let pod = '';
let conflist = '';

const netconf = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'vpc', type: 'tke-route-eni', agentSocket: agent.socketPath, ...over });

/** Execs the installed plugin binary exactly as a runtime would: env + stdin, PATH without node. */
const plugin = async (env: Record<string, string | undefined>, stdin: string) => {
  const base = {
    PATH: '/usr/sbin:/usr/bin',
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'bad1',
    CNI_NETNS: t.nsPath(pod),
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=bad;K8S_POD_UID=u',
    CNI_PATH: tools.binDir,
  };
  const merged = Object.fromEntries(
    Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined),
  ) as NodeJS.ProcessEnv;
  const r = await sh(join(tools.binDir, 'tke-route-eni'), [], { input: stdin, env: merged });
  return { exit: r.code, out: r.stdout ? (JSON.parse(r.stdout) as { code?: number; msg?: string }) : {} };
};

/** Nothing half-done: no veth, no rule, no route on the node, no interface in the pod, no allocation in ipamd. */
const expectUntouched = async (ipamdUp = true) => {
  expect(await t.ip(node, ['link'])).not.toMatch(/enia[0-9a-f]{10}/);
  expect(await t.ip(node, ['rule', 'show'])).not.toContain('512:');
  expect(await t.ip(node, ['route', 'show', 'table', 'all'])).not.toContain('proto 77 scope link');
  expect(await t.ip(pod, ['-br', 'link'])).not.toContain('eth0');
  if (ipamdUp) expect((await h.nodeState(NODE)).allocations).toEqual([]);
};

describe('bad input through the real plugin binary and agent', () => {
  beforeAll(async () => {
    requireNetns();
    tools = await buildCniTools();
    await h.start();
    node = h.node('nN').ns;
    pod = await t.addPodNs('bad');
    agent = new AgentProcess({
      node: NODE,
      netns: node,
      ipamdUrl: h.url,
      token: h.token(NODE),
      workDir: tools.workDir,
    });
    await agent.start();
    // the warm pool (one address) is bound in the VPC and known to ipamd
    podIp = await until(
      () =>
        h.sim?.dump().enis.find((e) => e.instanceId === h.node('nN').instanceId && e.secondaryIps.length > 0)
          ?.secondaryIps[0],
      'the pool address bound',
    );
    await until(async () => (await h.nodeSummary(NODE)).bound >= 1, 'ipamd sees the pool address bound');
    conflist = join(tools.workDir, 'n.conflist');
    writeFileSync(
      conflist,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'vpc',
        plugins: [{ type: 'tke-route-eni', agentSocket: agent.socketPath }],
      }),
    );
  });

  afterAll(async () => {
    await agent?.kill();
    await h.stop();
    if (tools) rmSync(tools.workDir, { recursive: true, force: true });
  });

  it.each([
    { what: 'malformed stdin JSON', env: {}, stdin: '{"cniVersion": "1.0.0", ', code: 6 },
    { what: 'truncated config that names the agent socket', env: {}, stdin: 'truncated', code: 6 },
    { what: 'missing CNI_CONTAINERID', env: { CNI_CONTAINERID: undefined }, stdin: '', code: 4 },
    { what: 'missing CNI_COMMAND', env: { CNI_COMMAND: undefined }, stdin: '', code: 4 },
    { what: 'unsupported cniVersion', env: {}, stdin: 'v0.2.0', code: 1 },
    {
      what: 'a netns path that does not exist',
      env: { CNI_NETNS: '/var/run/netns/eni-no-such-ns' },
      stdin: '',
      code: 4,
    },
    { what: 'invalid config (no name)', env: {}, stdin: 'noname', code: 7 },
  ])('$what -> code $code, nothing changed', async ({ env, stdin, code }) => {
    const inputs: Record<string, string> = {
      '': netconf(),
      'v0.2.0': netconf({ cniVersion: '0.2.0' }),
      noname: netconf({ name: undefined }),
      truncated: netconf().slice(0, -1),
    };
    const input = inputs[stdin] ?? stdin;
    const r = await plugin(env, input);
    expect(r.exit).toBe(1);
    expect(r.out).toMatchObject({ code, msg: expect.any(String) });
    await expectUntouched();
  });

  it('a 0.4.0 conflist works end to end (ADD, CHECK, DEL) and gets a 0.4.0 result', async () => {
    const driver = libcniDriver(tools, node);
    const old = join(tools.workDir, 'old.conflist');
    writeFileSync(
      old,
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'vpc-old',
        plugins: [{ type: 'tke-route-eni', agentSocket: agent.socketPath }],
      }),
    );
    const add = await driver.run('add', old, 'old1', t.nsPath(pod));
    expect(add.code, add.stdout).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: `${podIp}/32` }],
    });
    expect((await driver.run('check', old, 'old1', t.nsPath(pod))).code).toBe(0);
    expect((await driver.run('del', old, 'old1', t.nsPath(pod))).code).toBe(0);
    await expectUntouched();
  });

  it('DEL after the sandbox netns is gone cleans the node (rule included) and succeeds twice', async () => {
    const driver = libcniDriver(tools, node);
    const gone = await t.addPodNs('gone');
    expect((await driver.run('add', conflist, 'gone1', t.nsPath(gone))).code).toBe(0);
    expect(await t.ip(node, ['rule', 'show'])).toContain('512:');
    await sh('ip', ['netns', 'del', gone]);
    for (let i = 0; i < 2; i++) expect((await driver.run('del', conflist, 'gone1', t.nsPath(gone))).code).toBe(0);
    await expectUntouched();
  });

  it('CHECK of an unknown container -> code 3', async () => {
    const prevResult = { cniVersion: '1.0.0', ips: [{ address: '10.77.1.51/32' }] };
    const r = await plugin({ CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'never-added' }, netconf({ prevResult }));
    expect(r).toMatchObject({ exit: 1, out: { code: 3 } });
  });

  it('ipamd unreachable (stopped) -> code 11 through libcni, nothing half-done; then the same ADD works', async () => {
    const driver = libcniDriver(tools, node);
    await h.stopIpamd();
    try {
      const r = await driver.run('add', conflist, 'retry1', t.nsPath(pod));
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ code: 11 });
      await expectUntouched(false);
    } finally {
      await h.startIpamd();
    }
    await expectUntouched();
    // kubelet retries the ADD; it succeeds once ipamd serves again
    const ok = await until(async () => {
      const r = await driver.run('add', conflist, 'retry1', t.nsPath(pod));
      return (r.code === 0 || (JSON.parse(r.stdout || '{}') as { code?: number }).code !== 11) && r;
    }, 'ADD after ipamd is back');
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ips: [{ address: `${podIp}/32` }] });
    expect(await driver.run('del', conflist, 'retry1', t.nsPath(pod))).toMatchObject({ code: 0 });
    await expectUntouched();
  });

  it('pool exhausted -> code 11; agent down -> code 11 from the shim itself; VERSION works without the agent', async () => {
    const driver = libcniDriver(tools, node);
    expect((await driver.run('add', conflist, 'p1', t.nsPath(pod))).code).toBe(0);
    const other = await t.addPodNs('bad2');
    const full = await driver.run('add', conflist, 'p2', t.nsPath(other));
    expect(JSON.parse(full.stdout)).toMatchObject({ code: 11 });
    expect(await t.ip(other, ['-br', 'link'])).not.toContain('eth0');
    expect((await driver.run('del', conflist, 'p1', t.nsPath(pod))).code).toBe(0);
    await agent.kill();
    try {
      expect(await plugin({}, netconf())).toMatchObject({ exit: 1, out: { code: 11 } });
      const v = await plugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
      expect(v).toEqual({ exit: 0, out: { cniVersion: '0.4.0', supportedVersions: ['0.4.0', '1.0.0'] } });
    } finally {
      await agent.start();
    }
    await expectUntouched();
  });
});
