import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpIpamdClient } from '../ipamd/http-ipamd-client.js';
import { FakeIpamd } from '../testing/fake-ipamd.js';
import { FakeNetOps } from '../testing/fake-net-ops.js';
import { Agent } from './agent.js';
import { encodeRequest } from './cni-socket.js';
import { hostVethName, POD_RULE_PRIORITY } from './host-layout.js';

const MAC1 = '52:54:00:00:01:01';
const MAC2 = '52:54:00:00:01:02';
const POD = '/var/run/netns/p1';
const eni = (id: string, mac: string) => ({
  id,
  mac,
  primaryIp: '10.0.1.5',
  subnetCidr: '10.0.1.0/24',
  gateway: '10.0.1.1',
  mode: 'shared' as const,
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

const until = async (cond: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 300 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await cond()).toBe(true);
};

const setup = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eni-agent-'));
  const ipamd = new FakeIpamd();
  await ipamd.start();
  ipamd.addNode('n1', 't');
  ipamd.attachEni('n1', eni('eni-1', MAC1), ['10.0.1.10', '10.0.1.11']);
  const net = new FakeNetOps();
  const eth1 = net.addLink({ name: 'eth1', mac: MAC1 });
  net.addNetns(POD);
  net.addLink({ name: 'lo', mac: '00:00:00:00:00:00' }, POD);
  const make = (resyncMs = 0) =>
    new Agent({
      resyncMs,
      startupWaitMs: 500,
      socketPath: join(dir, 'run', 'agent.sock'),
      ipamd: new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 't' }),
      net,
      log: pino({ level: 'silent' }),
      netnsExists: (p) => p === POD,
    });
  const agents: Agent[] = [];
  cleanup = async () => {
    for (const a of agents) await a.stop();
    await ipamd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async (resyncMs = 0) => {
    const a = make(resyncMs);
    agents.push(a);
    await a.start();
    return a;
  };
  const cni = (command: string, containerId: string) =>
    new Promise<string>((resolve, reject) => {
      const s = connect(join(dir, 'run', 'agent.sock'));
      const out: Buffer[] = [];
      s.on('data', (c) => out.push(c));
      s.on('end', () => resolve(Buffer.concat(out).toString()));
      s.on('error', reject);
      const env = {
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: POD,
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'K8S_POD_NAMESPACE=d;K8S_POD_NAME=p',
      };
      s.end(encodeRequest({ env, stdin: JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'tke-route-eni' }) }));
    });
  return { ipamd, net, eth1, start, cni };
};

describe('eni-agent', () => {
  it('converges at start-up: ENI up, its table, rp_filter 0; and acknowledges the snapshot', async () => {
    const { ipamd, net, eth1, start } = await setup();
    await start();
    expect((await net.links()).find((l) => l.name === 'eth1')?.up).toBe(true);
    expect(await net.routes(2000 + eth1.index)).toMatchObject([{ dst: 'default', gateway: '10.0.1.1', dev: 'eth1' }]);
    expect(net.sysctls.get('net.ipv4.conf.eth1.rp_filter')).toBe('0');
    expect(ipamd.acks('n1')).toContain(ipamd.revision);
  });

  it('serves ADD on its socket, and follows the feed: a new ENI gets its table, a release removes the pod', async () => {
    const { ipamd, net, start, cni } = await setup();
    await start();
    expect(await cni('ADD', 'c1')).toMatch(/^0\n.*"10\.0\.1\.10\/32"/);
    expect(net.linkNames()).toContain(hostVethName('c1'));

    const eth2 = net.addLink({ name: 'eth2', mac: MAC2 });
    ipamd.attachEni('n1', eni('eni-2', MAC2));
    await until(async () => (await net.routes(2000 + eth2.index)).length === 1);

    // ipamd takes the address back without a CNI DEL (pod deleted while the runtime was away).
    await new HttpIpamdClient({ baseUrl: ipamd.url, node: 'n1', token: 't' }).release('c1');
    await until(() => !net.linkNames().includes(hostVethName('c1')));
    expect(await net.rules()).toEqual([]);
    await until(() => ipamd.acks('n1').at(-1) === ipamd.revision);
  });

  it('DEL without prevResult for a container the agent does not know still removes its veth and its rule', async () => {
    const { net, eth1, start, cni } = await setup();
    await start();
    // a sandbox half set up (veth, host route, rule) whose allocation neither ipamd nor the agent has
    const veth = hostVethName('cx');
    await net.apply([
      { op: 'vethAdd', name: veth, peerName: 'eth0', peerNetns: POD },
      { op: 'routeReplace', dst: '10.0.1.11', dev: veth, scopeLink: true },
      { op: 'ruleAdd', from: '10.0.1.11', table: 2000 + eth1.index, priority: POD_RULE_PRIORITY },
    ]);
    expect(await cni('DEL', 'cx')).toMatch(/^0\n/);
    expect(net.linkNames()).not.toContain(veth);
    expect((await net.rules()).filter((r) => r.priority === POD_RULE_PRIORITY)).toEqual([]);
  });

  it('resync repairs a pod rule removed behind its back', async () => {
    const { net, eth1, start, cni } = await setup();
    await start(20);
    await cni('ADD', 'c1');
    await net.apply([{ op: 'ruleDel', from: '10.0.1.10', table: 2000 + eth1.index, priority: POD_RULE_PRIORITY }]);
    await until(async () => (await net.rules()).length === 1);
  });

  it('without ipamd at start-up it still serves CNI (code 11) and removes nothing', async () => {
    const { ipamd, net, start, cni } = await setup();
    net.addLink({ name: hostVethName('maybe-live'), mac: '02:00:00:00:00:78', kind: 'veth' });
    ipamd.down = true;
    await start();
    expect(await cni('ADD', 'c1')).toMatch(/^1\n.*"code":11/);
    expect(net.linkNames()).toContain(hostVethName('maybe-live'));
  });

  it('a restart keeps live pods untouched and removes only orphans', async () => {
    const { ipamd, net, eth1, start, cni } = await setup();
    const first = await start();
    await cni('ADD', 'live');
    await first.stop();
    net.addLink({ name: hostVethName('orphan'), mac: '02:00:00:00:00:77', kind: 'veth', up: true });
    await net.apply([{ op: 'ruleAdd', from: '10.0.1.99', table: 2000 + eth1.index, priority: POD_RULE_PRIORITY }]);
    const before = net.calls.length;
    await start();
    const changes = net.calls.slice(before).flatMap((c) => c.changes);
    expect(changes).toEqual([
      { op: 'ruleDel', from: '10.0.1.99', table: 2000 + eth1.index, priority: POD_RULE_PRIORITY },
      { op: 'linkDel', dev: hostVethName('orphan') },
    ]);
    expect(net.linkNames()).toContain(hostVethName('live'));
    expect(await net.rules()).toEqual([
      { priority: POD_RULE_PRIORITY, src: '10.0.1.10', table: String(2000 + eth1.index) },
    ]);
    expect(ipamd.nodes.get('n1')?.allocations.has('live')).toBe(true);
  });
});
