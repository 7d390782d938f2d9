import { Host } from '../agent/host.js';
import { type CniOutcome, dispatch } from '../cni/dispatcher.js';
import { podNetwork } from '../cni/pod-network.js';
import { HttpIpamdClient } from '../ipamd/http-ipamd-client.js';
import { FakeIpamd } from './fake-ipamd.js';
import { FakeNetOps } from './fake-net-ops.js';

export const ENI_MAC = '52:54:00:00:01:01';
export const EXCL_MAC = '52:54:00:00:01:02';
export const POD_NS = '/var/run/netns/pod-a';

/**
 * A CNI plugin wired to a FakeNetOps host (one shared ENI `eth1`, one exclusive ENI `eth2`)
 * and a FakeIpamd on loopback, for unit tests of the dispatcher and handlers.
 */
export const cniHarness = async (opts: { sharedIps?: string[]; ipamdUrl?: string } = {}) => {
  const net = new FakeNetOps();
  const eth1 = net.addLink({ name: 'eth1', mac: ENI_MAC, up: true });
  net.addLink({ name: 'eth2', mac: EXCL_MAC });
  net.addNetns(POD_NS);
  net.addLink({ name: 'lo', mac: '00:00:00:00:00:00' }, POD_NS);
  const ipamd = new FakeIpamd();
  await ipamd.start();
  ipamd.addNode('n1', 'tok');
  const eni = { subnetCidr: '10.0.1.0/24', gateway: '10.0.1.1' };
  ipamd.attachEni(
    'n1',
    { id: 'eni-1', mac: ENI_MAC, primaryIp: '10.0.1.5', mode: 'shared', ...eni },
    opts.sharedIps ?? ['10.0.1.10', '10.0.1.11'],
  );
  ipamd.attachEni('n1', { id: 'eni-2', mac: EXCL_MAC, primaryIp: '10.0.1.6', mode: 'exclusive', ...eni });
  const client = new HttpIpamdClient({
    baseUrl: opts.ipamdUrl ?? ipamd.url,
    node: 'n1',
    token: 'tok',
    timeoutMs: 2000,
  });
  const host = new Host(net);
  const handlers = podNetwork({
    host,
    ipamd: client,
    allocation: () => undefined,
    selfNetns: '/proc/self-agent/ns/net',
  });
  const run = (env: Record<string, string | undefined>, stdin: string): Promise<CniOutcome> =>
    dispatch({ env, stdin }, { handlers, netnsExists: (p) => p === POD_NS });
  return { net, ipamd, host, run, eth1, close: () => ipamd.stop() };
};

export const conf = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'vpc', type: 'tke-route-eni', ...over });

export const env = (
  command: string,
  over: Record<string, string | undefined> = {},
): Record<string, string | undefined> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: POD_NS,
  CNI_IFNAME: 'eth0',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1',
  CNI_PATH: '/opt/cni/bin',
  ...over,
});

export const parsed = (o: CniOutcome): Record<string, unknown> => JSON.parse(o.stdout) as Record<string, unknown>;
