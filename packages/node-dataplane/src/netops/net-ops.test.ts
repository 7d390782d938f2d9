import { describe, expect, it } from 'vitest';
import { type NetChange, renderChange } from './net-ops.js';

describe('renderChange: one NetChange, one ip -batch line', () => {
  it.each<{ change: NetChange; line: string }>([
    {
      change: {
        op: 'vethAdd',
        name: 'h',
        mac: '02:00:00:00:00:01',
        peerName: 'eth0',
        peerMac: '02:00:00:00:00:02',
        peerNetns: '/run/netns/p',
      },
      line: 'link add h address 02:00:00:00:00:01 type veth peer name eth0 address 02:00:00:00:00:02 netns /run/netns/p',
    },
    { change: { op: 'vethAdd', name: 'h', peerName: 'p' }, line: 'link add h type veth peer name p' },
    { change: { op: 'linkUp', dev: 'eth1' }, line: 'link set dev eth1 up' },
    { change: { op: 'linkDown', dev: 'eth1' }, line: 'link set dev eth1 down' },
    { change: { op: 'linkDel', dev: 'h' }, line: 'link del dev h' },
    { change: { op: 'linkRename', dev: 'eth2', newName: 'eth0' }, line: 'link set dev eth2 name eth0' },
    { change: { op: 'linkAlias', dev: 'eth2', alias: 'eni-ipam:eth2' }, line: 'link set dev eth2 alias eni-ipam:eth2' },
    {
      change: { op: 'linkSetNetns', dev: 'eth2', netns: '/proc/1/ns/net' },
      line: 'link set dev eth2 netns /proc/1/ns/net',
    },
    { change: { op: 'addrAdd', dev: 'eth0', cidr: '10.0.0.2/32' }, line: 'addr add 10.0.0.2/32 dev eth0' },
    { change: { op: 'addrFlush', dev: 'eth0' }, line: 'addr flush dev eth0' },
    {
      change: { op: 'neighReplace', ip: '169.254.1.1', mac: '02:00:00:00:00:01', dev: 'eth0' },
      line: 'neigh replace 169.254.1.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent',
    },
    {
      change: {
        op: 'routeReplace',
        dst: 'default',
        via: '10.0.0.1',
        dev: 'eth1',
        onlink: true,
        table: 2003,
        proto: 77,
      },
      line: 'route replace default via 10.0.0.1 dev eth1 onlink table 2003 proto 77',
    },
    {
      change: { op: 'routeReplace', dst: '10.0.0.2/32', dev: 'h', scopeLink: true, proto: 77 },
      line: 'route replace 10.0.0.2/32 dev h scope link proto 77',
    },
    { change: { op: 'routeDel', dst: '10.0.0.2', table: 2003 }, line: 'route del 10.0.0.2 table 2003' },
    {
      change: { op: 'ruleAdd', from: '10.0.0.2', table: 2003, priority: 512 },
      line: 'rule add from 10.0.0.2 lookup 2003 pref 512',
    },
    {
      change: { op: 'ruleDel', from: '10.0.0.2', table: 2003, priority: 512 },
      line: 'rule del from 10.0.0.2 lookup 2003 pref 512',
    },
  ])('$change.op -> $line', ({ change, line }) => {
    expect(renderChange(change).join(' ')).toBe(line);
  });

  it('refuses an unknown change instead of rendering garbage', () => {
    expect(() => renderChange({ op: 'frob' } as unknown as NetChange)).toThrow(/unknown change/);
  });
});
