import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { must, requireNetns, sh, suffix } from '../testing/sh.js';
import { Iproute2NetOps } from './iproute2-net-ops.js';
import { NetOpsError } from './net-ops.js';

/** The real NetOps against throwaway namespaces, by name and by a /proc/PID/ns/net-style path. */
describe('Iproute2NetOps in real namespaces', () => {
  const a = `eni-nops-a-${suffix()}`;
  const b = `eni-nops-b-${suffix()}`;
  beforeAll(async () => {
    requireNetns();
    await must('ip', ['netns', 'add', a]);
    await must('ip', ['netns', 'add', b]);
  });
  afterAll(async () => {
    await sh('ip', ['netns', 'del', a]);
    await sh('ip', ['netns', 'del', b]);
  });

  it('applies a batch in a bound host namespace and reads links, routes and rules back', async () => {
    const net = new Iproute2NetOps({ hostNetns: `/var/run/netns/${a}` });
    await net.apply([
      { op: 'linkUp', dev: 'lo' },
      {
        op: 'vethAdd',
        name: 'h1',
        mac: '02:00:00:00:00:01',
        peerName: 'p1',
        peerMac: '02:00:00:00:00:02',
        peerNetns: `/var/run/netns/${b}`,
      },
      { op: 'linkUp', dev: 'h1' },
      { op: 'routeReplace', dst: '10.9.0.7/32', dev: 'h1', scopeLink: true, proto: 77 },
      { op: 'routeReplace', dst: 'default', via: '10.9.0.1', dev: 'h1', onlink: true, table: 2005, proto: 77 },
      { op: 'ruleAdd', from: '10.9.0.7', table: 2005, priority: 512 },
    ]);
    await net.setSysctl('net.ipv4.conf.h1.rp_filter', '0');
    const links = await net.links();
    expect(links.find((l) => l.name === 'h1')).toMatchObject({ mac: '02:00:00:00:00:01', up: true, kind: 'veth' });
    expect(await net.rules()).toContainEqual({ priority: 512, src: '10.9.0.7', table: '2005' });
    const routes = await net.routes('all');
    expect(routes).toContainEqual({ dst: '10.9.0.7', dev: 'h1', table: 'main', protocol: '77' });
    expect(routes).toContainEqual({ dst: 'default', gateway: '10.9.0.1', dev: 'h1', table: '2005', protocol: '77' });
    // The peer went straight into the other namespace.
    const inB = await net.links(`/var/run/netns/${b}`);
    expect(inB.map((l) => l.name)).toContain('p1');
  });

  it('reports the failing batch line as a NetOpsError', async () => {
    const net = new Iproute2NetOps({ hostNetns: `/var/run/netns/${a}` });
    const err = await net
      .apply([
        { op: 'linkUp', dev: 'lo' },
        { op: 'linkUp', dev: 'nosuchdev' },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetOpsError);
    expect((err as NetOpsError).line).toBe('link set dev nosuchdev up');
  });

  it('enters a namespace given as a /proc/PID/ns/net path with nsenter', async () => {
    const child = spawn('ip', ['netns', 'exec', b, 'sleep', '30']);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const net = new Iproute2NetOps();
      const links = await net.links(`/proc/${child.pid}/ns/net`);
      expect(links.map((l) => l.name)).toContain('p1');
    } finally {
      child.kill();
    }
  });
});
