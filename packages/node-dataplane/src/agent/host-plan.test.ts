import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Eni, PodAllocation } from '../ipamd/api.js';
import { FakeNetOps } from '../testing/fake-net-ops.js';
import { Host } from './host.js';
import { hostVethName, POD_RULE_PRIORITY, ROUTE_PROTO } from './host-layout.js';
import type { NodeView } from './node-view.js';

const eni = (n: number, mode: Eni['mode'] = 'shared'): Eni => ({
  id: `eni-${n}`,
  mac: `52:54:00:00:00:0${n}`,
  primaryIp: `10.0.${n}.5`,
  subnetCidr: `10.0.${n}.0/24`,
  gateway: `10.0.${n}.1`,
  mode,
});
const alloc = (containerId: string, ip: string, e: Eni): PodAllocation => ({
  containerId,
  ip,
  pod: { namespace: 'default', name: containerId },
  eniId: e.id,
  eniMac: e.mac,
  gateway: e.gateway,
  subnetCidr: e.subnetCidr,
  mode: 'shared',
});
const view = (enis: Eni[], allocations: PodAllocation[]): NodeView => ({
  revision: 1,
  enis: new Map(enis.map((e) => [e.id, e])),
  allocations: new Map(allocations.map((a) => [a.containerId, a])),
});

/** A host with the ENIs' links and, for each given pod, its host veth (as a past ADD left it). */
const hostWith = (enis: Eni[], podsWithVeth: string[]) => {
  const net = new FakeNetOps();
  const links = enis.map((e, i) => net.addLink({ name: `eth${i + 1}`, mac: e.mac }));
  for (const id of podsWithVeth)
    net.addLink({ name: hostVethName(id), mac: '02:00:00:00:00:99', kind: 'veth', up: true });
  return { net, links, host: new Host(net) };
};

describe('host convergence', () => {
  it('given shared ENIs and a pod, converge sets rp_filter, ENI tables, the pod rule and host route', async () => {
    const [e1, e2] = [eni(1), eni(2)];
    const { net, links, host } = hostWith([e1, e2], ['c1']);
    await host.converge(view([e1, e2], [alloc('c1', '10.0.2.10', e2)]), false);
    expect(Object.fromEntries(net.sysctls)).toEqual({
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '0',
      'net.ipv4.conf.eth1.rp_filter': '0',
      'net.ipv4.conf.eth2.rp_filter': '0',
    });
    const t2 = String(2000 + (links[1]?.index ?? 0));
    expect(await net.routes(Number(t2))).toEqual([
      { dst: 'default', gateway: '10.0.2.1', dev: 'eth2', table: t2, protocol: '77' },
    ]);
    expect(await net.rules()).toEqual([{ priority: POD_RULE_PRIORITY, src: '10.0.2.10', table: t2 }]);
    expect(await net.routes('main')).toMatchObject([{ dst: '10.0.2.10', dev: hostVethName('c1') }]);
    expect((await net.links()).filter((l) => l.name.startsWith('eth')).every((l) => l.up)).toBe(true);
  });

  it('a pod whose veth does not exist yet (ADD under way) gets nothing and loses nothing', async () => {
    const e1 = eni(1);
    const { net, host } = hostWith([e1], []);
    await host.converge(view([e1], [alloc('c1', '10.0.1.10', e1)]), true);
    expect(await net.rules()).toEqual([]);
  });

  it('orphans carrying our markers are removed only when asked; foreign rules and routes stay', async () => {
    const e1 = eni(1);
    const { net, links, host } = hostWith([e1], ['gone']);
    const t = 2000 + (links[0]?.index ?? 0);
    await net.apply([
      { op: 'ruleAdd', from: '10.0.1.77', table: t, priority: POD_RULE_PRIORITY },
      { op: 'ruleAdd', from: '192.168.0.9', table: 100, priority: 100 },
      { op: 'routeReplace', dst: '10.0.1.77/32', dev: hostVethName('gone'), proto: ROUTE_PROTO },
      { op: 'routeReplace', dst: '10.9.9.0/24', dev: 'eth1' },
      { op: 'routeReplace', dst: 'default', via: '10.0.3.1', dev: 'eth1', table: 2999, proto: ROUTE_PROTO },
    ]);
    await host.converge(view([e1], []), false);
    expect(net.linkNames()).toContain(hostVethName('gone'));
    await host.converge(view([e1], []), true);
    expect(net.linkNames()).not.toContain(hostVethName('gone'));
    expect(await net.rules()).toEqual([{ priority: 100, src: '192.168.0.9', table: '100' }]);
    expect((await net.routes('all')).map((r) => `${r.table} ${r.dst}`).sort()).toEqual([
      `${t} default`,
      'main 10.9.9.0/24',
    ]);
  });

  it('property: converging twice changes nothing the second time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 8 }),
            host: fc.integer({ min: 10, max: 250 }),
            eni: fc.integer({ min: 1, max: 2 }),
            veth: fc.boolean(),
          }),
          {
            selector: (p) => p.id,
            maxLength: 8,
          },
        ),
        fc.boolean(),
        async (pods, removeOrphans) => {
          const enis = [eni(1), eni(2)];
          const uniq = pods.filter((p, i) => pods.findIndex((q) => q.host === p.host && q.eni === p.eni) === i);
          const { host } = hostWith(
            enis,
            uniq.filter((p) => p.veth).map((p) => p.id),
          );
          const v = view(
            enis,
            uniq.map((p) => alloc(p.id, `10.0.${p.eni}.${p.host}`, enis[p.eni - 1] as Eni)),
          );
          await host.converge(v, removeOrphans);
          expect(await host.converge(v, removeOrphans)).toBe(0);
        },
      ),
      { numRuns: 50 },
    );
  });
});
