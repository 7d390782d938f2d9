import { InMemoryEventStore } from '@eni-ipam/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { IpamdCore } from '../service/ipamd-core.js';
import { FakeVpc } from '../testing/fake-vpc.js';
import { CLUSTER_ID, POD_SUBNET, setUpCluster, startCore } from '../testing/service-fixture.js';
import { CloudAudit } from './cloud-audit.js';

describe('CloudAudit: the log against the cloud', () => {
  const cores: IpamdCore[] = [];
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.stop();
  });

  /** A warm node-0 (2 bound addresses, one held by pod web), the audit, and the fake cloud. */
  const warm = async () => {
    const store = new InMemoryEventStore();
    const vpc = new FakeVpc();
    const core = await startCore({ store, vpc, fence: store.grantLeadership('l') });
    cores.push(core);
    await setUpCluster(core, vpc, 1);
    await core.host.waitUntil(
      () => Object.values(core.host.node('node-0').enis).some((e) => Object.keys(e.ips).length === 2),
      5_000,
    );
    await core.settle();
    await core.reconciler.stop(); // no refill from here: each pass is judged alone
    await core.commands.node({
      type: 'AllocateIp',
      node: 'node-0',
      pod: { namespace: 'd', name: 'web' },
      containerId: 'k1',
    });
    const eni = Object.values(core.host.node('node-0').enis)[0];
    if (!eni) throw new Error('no ENI');
    const audit = new CloudAudit({ host: core.host, commands: core.commands, vpc, clusterId: CLUSTER_ID });
    const head = () => store.headRevision();
    const cloudEni = () => {
      const c = vpc.enis.get(eni.eniId);
      if (!c) throw new Error('no cloud ENI');
      return c;
    };
    return { core, vpc, eni, audit, head, cloudEni };
  };

  it('given log and cloud agree, it finds nothing and appends nothing', async () => {
    const { audit, head } = await warm();
    const before = await head();
    expect(await audit.tick()).toEqual([]);
    expect(await head()).toBe(before);
  });

  it('when a bound address is gone from the ENI in the cloud, it is recorded lost and its pod released', async () => {
    const { core, vpc, eni, audit, cloudEni } = await warm();
    const ip = core.host.node('node-0').allocations.k1?.ip as string;
    vpc.enis.set(eni.eniId, { ...cloudEni(), secondaryIps: cloudEni().secondaryIps.filter((x) => x !== ip) });
    expect(await audit.tick()).toEqual([{ kind: 'lost-ip', node: 'node-0', eniId: eni.eniId, ips: [ip] }]);
    expect(core.host.node('node-0').allocations.k1).toBeUndefined();
    expect(core.host.node('node-0').enis[eni.eniId]?.ips[ip]).toBeUndefined();
    expect(core.host.subnet(POD_SUBNET).addresses[ip]).toBeUndefined();
    expect(await audit.tick()).toEqual([]); // settled: found once
  });

  it('reports a foreign secondary IP and a leaked cluster ENI without changing anything', async () => {
    const { vpc, eni, audit, head, cloudEni } = await warm();
    vpc.enis.set(eni.eniId, { ...cloudEni(), secondaryIps: [...cloudEni().secondaryIps, '10.1.0.250'] });
    const leak = await vpc.createEni({
      clientToken: 'leak-1',
      vpcId: 'vpc-test0001',
      subnetId: POD_SUBNET,
      name: 'leak',
      tags: [
        { key: 'eni-ipam/cluster', value: CLUSTER_ID },
        { key: 'eni-ipam/intent', value: 'gone-intent:0' },
      ],
    });
    const before = await head();
    const found = await audit.tick();
    expect(found).toContainEqual({ kind: 'unknown-ip', node: 'node-0', eniId: eni.eniId, ips: ['10.1.0.250'] });
    expect(found).toContainEqual({ kind: 'unknown-eni', eniId: leak.eniId, intent: 'gone-intent:0' });
    expect(found).toHaveLength(2);
    expect(await head()).toBe(before);
  });

  it('does not judge an ENI with an intent in flight, nor a create whose outcome is not recorded yet', async () => {
    const { core, vpc, eni, audit, head, cloudEni } = await warm();
    await core.executor.stop(); // intents stay pending
    const idle = Object.values(core.host.node('node-0').enis[eni.eniId]?.ips ?? {}).find(
      (i) => i.ip !== core.host.node('node-0').allocations.k1?.ip,
    );
    if (!idle) throw new Error('no idle address');
    await core.commands.node({ type: 'RequestIpUnbind', node: 'node-0', eniId: eni.eniId, ips: [idle.ip], why: 't' });
    vpc.enis.set(eni.eniId, { ...cloudEni(), secondaryIps: cloudEni().secondaryIps.filter((x) => x !== idle.ip) });
    await core.commands.node({ type: 'RequestEniCreate', node: 'node-0', subnetId: POD_SUBNET, why: 't' });
    const create = Object.values(core.host.node('node-0').intents).find((i) => i.op === 'create');
    await vpc.createEni({
      clientToken: create?.intentId ?? '',
      vpcId: 'vpc-test0001',
      subnetId: POD_SUBNET,
      name: 'n',
      tags: [
        { key: 'eni-ipam/cluster', value: CLUSTER_ID },
        { key: 'eni-ipam/intent', value: create?.intentId ?? '' },
      ],
    });
    const before = await head();
    expect(await audit.tick()).toEqual([]);
    expect(await head()).toBe(before);
  });
});
