import type { Host } from '../agent/host.js';
import {
  ENI_ALIAS_PREFIX,
  hostVethMac,
  hostVethName,
  POD_GATEWAY,
  POD_RULE_PRIORITY,
  podVethMac,
  prefixLen,
  ROUTE_PROTO,
  tableFor,
} from '../agent/host-layout.js';
import type { PodAllocation } from '../ipamd/api.js';
import type { IpamdClient } from '../ipamd/ipamd-client.js';
import type { NetChange } from '../netops/net-ops.js';
import { CniCode, CniError, type CniHandlers, type CniRequest, type CniResult, type PodArgs } from './cni-types.js';

export interface PodNetworkDeps {
  host: Host;
  ipamd: IpamdClient;
  /** The agent's current view of allocations (for DEL and CHECK without prevResult). */
  allocation: (containerId: string) => PodAllocation | undefined;
  /** A path naming the agent's own netns, for moving an exclusive ENI back. */
  selfNetns: string;
}

type AddReq = CniRequest & { netns: string; pod: PodArgs };

/**
 * The agent's CNI handlers. Shared ADD: the veth is created (one `ip -batch`) while ipamd
 * allocates, then the host route + rule and the pod end (one `ip -batch` each) are applied side
 * by side. Any failure rolls back everything: the host veth (which takes the pod end and the
 * host route with it), the rule, and the allocation.
 */
export const podNetwork = (deps: PodNetworkDeps): CniHandlers => {
  const { host, ipamd } = deps;
  const net = host.net;
  const ignore = async (p: Promise<unknown>) => p.catch(() => undefined);

  const addShared = async (req: AddReq): Promise<CniResult> => {
    const veth = hostVethName(req.containerId);
    const hostMac = hostVethMac(req.containerId);
    const podMac = podVethMac(req.containerId);
    // The veth does not depend on the address, so it is created while ipamd allocates: the
    // critical path is max(allocation, one spawn) + one spawn instead of their sum.
    const [allocated, created] = await Promise.allSettled([
      ipamd.allocate({ pod: req.pod, containerId: req.containerId, mode: 'shared' }),
      net.apply([
        { op: 'vethAdd', name: veth, mac: hostMac, peerName: req.ifname, peerMac: podMac, peerNetns: req.netns },
        { op: 'linkUp', dev: veth },
      ]),
    ]);
    if (allocated.status === 'rejected' || created.status === 'rejected') {
      if (created.status === 'fulfilled') await ignore(net.apply([{ op: 'linkDel', dev: veth }]));
      if (allocated.status === 'fulfilled') await ignore(ipamd.release(req.containerId));
      throw allocated.status === 'rejected' ? allocated.reason : (created as PromiseRejectedResult).reason;
    }
    const a = allocated.value;
    try {
      const eni = await host.linkByMac(a.eniMac);
      if (!eni) throw new CniError(CniCode.EniNotFound, `ENI ${a.eniId} (${a.eniMac}) is not attached to this node`);
      const table = a.routeTable ?? tableFor(eni.index);
      const hostSide = host.lock.run(async () => {
        const stale = host.podRules.get(a.ip);
        const changes: NetChange[] = [
          { op: 'routeReplace', dst: `${a.ip}/32`, dev: veth, scopeLink: true, proto: ROUTE_PROTO },
        ];
        if (stale !== undefined && stale !== table)
          changes.push({ op: 'ruleDel', from: a.ip, table: stale, priority: POD_RULE_PRIORITY });
        if (stale !== table) changes.push({ op: 'ruleAdd', from: a.ip, table, priority: POD_RULE_PRIORITY });
        await net.apply(changes);
        host.podRules.set(a.ip, table);
      });
      // Pod side: /32 address, default route via a link-local gateway that a permanent
      // neighbour entry resolves to the host veth's MAC (no proxy ARP, no host address needed).
      const podSide = net.apply(
        [
          { op: 'linkUp', dev: 'lo' },
          { op: 'addrAdd', dev: req.ifname, cidr: `${a.ip}/32` },
          { op: 'linkUp', dev: req.ifname },
          { op: 'neighReplace', ip: POD_GATEWAY, mac: hostMac, dev: req.ifname },
          { op: 'routeReplace', dst: 'default', via: POD_GATEWAY, dev: req.ifname, onlink: true },
        ],
        req.netns,
      );
      const [h, p] = await Promise.allSettled([hostSide, podSide]);
      if (h.status === 'rejected') throw h.reason;
      if (p.status === 'rejected') throw p.reason;
    } catch (e) {
      await host.lock.run(async () => {
        await ignore(net.apply([{ op: 'linkDel', dev: veth }]));
        await dropRule(a.ip);
      });
      await ignore(ipamd.release(req.containerId));
      throw e;
    }
    return {
      interfaces: [
        { name: veth, mac: hostMac },
        { name: req.ifname, mac: podMac, sandbox: req.netns },
      ],
      ips: [{ address: `${a.ip}/32`, gateway: POD_GATEWAY, interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: POD_GATEWAY }],
    };
  };

  const dropRule = (ip: string) => dropPodRule(host, ip);

  const addExclusive = async (req: AddReq): Promise<CniResult> => {
    const a = await ipamd.allocate({ pod: req.pod, containerId: req.containerId, mode: 'exclusive' });
    const cidr = `${a.ip}/${prefixLen(a.subnetCidr)}`;
    let moved = false;
    try {
      const eni = await host.linkByMac(a.eniMac);
      if (!eni) throw new CniError(CniCode.EniNotFound, `ENI ${a.eniId} (${a.eniMac}) is not attached to this node`);
      host.invalidate();
      // The alias travels with the link, so DEL (even after an agent restart) can restore its name.
      await net.apply([
        { op: 'linkAlias', dev: eni.name, alias: ENI_ALIAS_PREFIX + eni.name },
        { op: 'linkDown', dev: eni.name },
        { op: 'linkSetNetns', dev: eni.name, netns: req.netns },
      ]);
      moved = true;
      await net.apply(
        [
          { op: 'linkUp', dev: 'lo' },
          { op: 'linkRename', dev: eni.name, newName: req.ifname },
          { op: 'addrAdd', dev: req.ifname, cidr },
          { op: 'linkUp', dev: req.ifname },
          { op: 'routeReplace', dst: 'default', via: a.gateway, dev: req.ifname, onlink: true },
        ],
        req.netns,
      );
    } catch (e) {
      if (moved) await ignore(returnEni(req.netns, a.eniMac));
      await ignore(ipamd.release(req.containerId));
      throw e;
    }
    return {
      interfaces: [{ name: req.ifname, mac: a.eniMac, sandbox: req.netns }],
      ips: [{ address: cidr, gateway: a.gateway, interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: a.gateway }],
    };
  };

  /** Moves an exclusive ENI from a pod back to the host under its original name. */
  const returnEni = async (netns: string, mac: string): Promise<void> => {
    const link = (await net.links(netns)).find((l) => l.mac === mac);
    if (!link) return;
    const original = link.alias?.startsWith(ENI_ALIAS_PREFIX) ? link.alias.slice(ENI_ALIAS_PREFIX.length) : link.name;
    const changes: NetChange[] = [
      { op: 'linkDown', dev: link.name },
      { op: 'addrFlush', dev: link.name },
    ];
    if (original !== link.name) changes.push({ op: 'linkRename', dev: link.name, newName: original });
    changes.push({ op: 'linkSetNetns', dev: original, netns: deps.selfNetns });
    await net.apply(changes, netns);
    host.invalidate();
  };

  const ipOf = (req: CniRequest): string | undefined =>
    deps.allocation(req.containerId)?.ip ?? req.conf.prevResult?.ips?.[0]?.address.split('/')[0];

  return {
    add: (req) => (req.conf.type === 'tke-direct-eni' ? addExclusive(req) : addShared(req)),

    async del(req) {
      if (req.conf.type === 'tke-direct-eni') {
        const mac = deps.allocation(req.containerId)?.eniMac ?? req.conf.prevResult?.interfaces?.[0]?.mac;
        if (req.netns && mac) await returnEni(req.netns, mac);
      } else {
        await removeSharedPod(host, req.containerId, ipOf(req));
      }
      await ipamd.release(req.containerId);
    },

    async check(req) {
      const want = req.prevResult.ips?.[0]?.address;
      if (!want) throw new CniError(CniCode.InvalidConfig, 'prevResult has no ips');
      const known = deps.allocation(req.containerId);
      const podLinks = await net.links(req.netns);
      const podIf = podLinks.find((l) => l.name === req.ifname);
      if (req.conf.type === 'tke-direct-eni') {
        if (!podIf && !known) throw new CniError(CniCode.UnknownContainer, `container ${req.containerId} is unknown`);
        if (!podIf?.addrs.includes(want))
          throw new CniError(CniCode.CheckFailed, `${req.ifname} does not hold ${want}`);
        return;
      }
      const veth = hostVethName(req.containerId);
      const hostLinks = await net.links();
      if (!known && !hostLinks.some((l) => l.name === veth)) {
        throw new CniError(CniCode.UnknownContainer, `container ${req.containerId} is unknown`);
      }
      if (!podIf?.addrs.includes(want)) throw new CniError(CniCode.CheckFailed, `${req.ifname} does not hold ${want}`);
      if (!hostLinks.some((l) => l.name === veth))
        throw new CniError(CniCode.CheckFailed, `host veth ${veth} is missing`);
      const ip = want.split('/')[0] ?? '';
      const rules = await net.rules();
      if (!rules.some((r) => r.priority === POD_RULE_PRIORITY && r.src === ip)) {
        throw new CniError(CniCode.CheckFailed, `rule from ${ip} is missing`);
      }
      if (known && known.ip !== ip) throw new CniError(CniCode.CheckFailed, `ipamd holds ${known.ip}, pod has ${ip}`);
    },
  };
};

const dropPodRule = async (host: Host, ip: string): Promise<void> => {
  const table = host.podRules.get(ip);
  if (table === undefined) return;
  await host.net.apply([{ op: 'ruleDel', from: ip, table, priority: POD_RULE_PRIORITY }]).catch(() => undefined);
  host.podRules.delete(ip);
};

/**
 * Removes a shared-ENI pod's host side (veth, so its host route too; its rule). Idempotent. When
 * the address is unknown (a DEL without prevResult for an allocation the agent does not know), it
 * is read from the host route through the container's own veth, and its rule from the kernel.
 */
export const removeSharedPod = (host: Host, containerId: string, known: string | undefined): Promise<void> =>
  host.lock.run(async () => {
    const veth = hostVethName(containerId);
    const hasVeth = (await host.net.links()).some((l) => l.name === veth);
    let ip = known;
    let table = ip === undefined ? undefined : host.podRules.get(ip);
    if (ip === undefined && hasVeth) {
      ip = (await host.net.routes('main')).find((r) => r.dev === veth)?.dst.split('/')[0];
      const rule = ip && (await host.net.rules()).find((r) => r.priority === POD_RULE_PRIORITY && r.src === ip);
      if (rule) table = Number(rule.table);
    }
    const changes: NetChange[] = [];
    if (ip && table !== undefined) changes.push({ op: 'ruleDel', from: ip, table, priority: POD_RULE_PRIORITY });
    // A missing veth is fine (DEL is idempotent); any other failure is reported.
    if (hasVeth) changes.push({ op: 'linkDel', dev: veth });
    await host.net.apply(changes);
    if (ip) host.podRules.delete(ip);
  });
