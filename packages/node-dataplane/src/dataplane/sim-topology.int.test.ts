/**
 * SimTopology: the simulated VPC made real in network namespaces. Given a simulator whose
 * onChange hook drives a SimTopology, when the real SDK adapter creates, attaches, assigns,
 * unassigns and detaches, then the node namespace holds a veth ENI with the simulator's MAC
 * exactly while it is attached (already when the attach call resolves), the VPC bridge has a
 * neighbour entry for each address the VPC knows on it.
 * A second topology follows another simulator by polling its control API.
 */
import type { TencentVpcApi, VpcSimulator } from '@eni-ipam/cloud';
import { adapterFor, createTestEni, startTestSimulator, testSeed } from '@eni-ipam/cloud/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNetns } from '../testing/sh.js';
import { SimTopology } from '../testing/sim-topology.js';

const INSTANCE = 'ins-00000000';
const seed = testSeed({ instances: 2, podCidr: '10.78.1.0/24' });

const linkWithMac = async (t: SimTopology, ns: string, mac: string) => {
  const links = JSON.parse(await t.ip(ns, ['-j', 'link'])) as { ifname: string; address: string }[];
  return links.find((l) => l.address === mac.toLowerCase())?.ifname;
};
const neighbours = async (t: SimTopology) => t.ip(t.vpc, ['neigh', 'show', 'dev', 'br0', 'nud', 'permanent']);

describe('SimTopology follows the simulator', () => {
  const topo = new SimTopology({ nodes: { [INSTANCE]: 'sA' } });
  let sim: VpcSimulator;
  let api: TencentVpcApi;

  beforeAll(async () => {
    requireNetns();
    sim = await startTestSimulator({ seed, onChange: topo.onChange });
    api = adapterFor(sim);
    await topo.start(sim.dump());
  });
  afterAll(async () => {
    await topo.destroy();
    await sim?.stop();
  });

  it('plugs an attached ENI with its MAC, binds its addresses on the bridge, unplugs it on detach', async () => {
    const node = topo.nodeNs(INSTANCE);
    const eni = await createTestEni(api, 'st-1');
    expect(await linkWithMac(topo, node, eni.mac)).toBeUndefined();

    await api.attachEni({ clientToken: 'st-a', eniId: eni.eniId, instanceId: INSTANCE });
    expect(await linkWithMac(topo, node, eni.mac)).toBe('eth1');
    expect(await topo.ip(node, ['-br', 'addr', 'show', 'dev', 'eth1'])).toContain(`${eni.primaryIp}/32`);
    expect(await topo.ip(topo.vpc, ['-br', 'link', 'show', 'master', 'br0'])).toContain('UP');

    const ips = await api.assignIps({ clientToken: 'st-i', eniId: eni.eniId, count: 2 });
    const bound = await neighbours(topo);
    for (const ip of [eni.primaryIp, ...ips]) expect(bound).toContain(`${ip} lladdr ${eni.mac.toLowerCase()}`);

    // plugging another ENI (a new bridge port) keeps the first one's bindings
    const second = await createTestEni(api, 'st-3');
    await api.attachEni({ clientToken: 'st-a3', eniId: second.eniId, instanceId: INSTANCE });
    expect(await linkWithMac(topo, node, second.mac)).toBe('eth2');
    expect(await neighbours(topo)).toContain(`${ips[1]} lladdr ${eni.mac.toLowerCase()}`);
    await api.detachEni({ clientToken: 'st-d3', eniId: second.eniId, instanceId: INSTANCE });

    await api.unassignIps({ clientToken: 'st-u', eniId: eni.eniId, ips: [ips[0] ?? ''] });
    expect(await neighbours(topo)).not.toContain(`${ips[0]} `);

    await api.detachEni({ clientToken: 'st-d', eniId: eni.eniId, instanceId: INSTANCE });
    expect(await linkWithMac(topo, node, eni.mac)).toBeUndefined();
    expect(await neighbours(topo)).toBe('');
    expect(topo.errors).toEqual([]);
  });

  it('a topology can follow a simulator in another process by polling GET /_sim/state', async () => {
    const other = await startTestSimulator({ seed });
    const polled = new SimTopology({ nodes: { 'ins-00000001': 'sB' } });
    try {
      await polled.start(other.dump());
      polled.follow(other.url, 20);
      const remote = adapterFor(other);
      const eni = await createTestEni(remote, 'st-2');
      await remote.attachEni({ clientToken: 'st-b', eniId: eni.eniId, instanceId: 'ins-00000001' });
      const node = polled.nodeNs('ins-00000001');
      for (let i = 0; i < 100 && !(await linkWithMac(polled, node, eni.mac)); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await linkWithMac(polled, node, eni.mac)).toBe('eth1');
      expect(polled.errors).toEqual([]);
    } finally {
      await polled.destroy();
      await other.stop();
    }
  });
});
