import { createHash } from 'node:crypto';

/**
 * How eni-agent lays out the node, and the markers by which it recognises its own objects
 * (everything else on the host is left alone):
 * - each shared ENI gets route table `link index + 2000` (product rule) holding
 *   `default via <subnet gateway> dev <eni> onlink proto 77`;
 * - each pod gets `ip rule from <podIP> lookup <eni table> pref 512` (the fixed priority: below
 *   `local` (0), above `main` (32766), so pod sources are steered before the main table);
 * - each pod gets `<podIP> dev <host veth> scope link proto 77` in the main table;
 * - host veths are named `enia` + 10 hex digits of sha256(containerId).
 */
export const ROUTE_TABLE_BASE = 2000;
export const POD_RULE_PRIORITY = 512;
/** Routing protocol number marking our routes (unassigned in /etc/iproute2/rt_protos). */
export const ROUTE_PROTO = 77;
export const HOST_VETH_PREFIX = 'enia';
/** The pod's default gateway: link-local, answered by a permanent neighbour entry in the pod. */
export const POD_GATEWAY = '169.254.1.1';
/** Alias given to an exclusive ENI moved into a pod, so DEL can restore its host name. */
export const ENI_ALIAS_PREFIX = 'eni-ipam:';

export const tableFor = (linkIndex: number): number => ROUTE_TABLE_BASE + linkIndex;
export const isOurTable = (table: string): boolean => {
  const t = Number(table);
  return Number.isInteger(t) && t > ROUTE_TABLE_BASE && t < ROUTE_TABLE_BASE + 100_000;
};

const digest = (containerId: string): string => createHash('sha256').update(containerId).digest('hex');

export const hostVethName = (containerId: string): string => HOST_VETH_PREFIX + digest(containerId).slice(0, 10);

const macFrom = (hex: string): string =>
  // 0x02: locally administered, unicast.
  ['02', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4, 6), hex.slice(6, 8), hex.slice(8, 10)].join(':');

/** Deterministic MACs let ADD write the pod's neighbour entry and the result without reading back. */
export const hostVethMac = (containerId: string): string => macFrom(digest(containerId).slice(10, 20));
export const podVethMac = (containerId: string): string => macFrom(digest(containerId).slice(20, 30));

export const prefixLen = (cidr: string): number => Number(cidr.split('/')[1]);
