/**
 * docker-compose.yml cannot be run here (no Docker engine): every service's image, command,
 * ports and dependencies are checked against the real binaries and their parsers instead.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { etcdHelp, exists, flag, flagValues, ipamdGetStatus, parseIpamd, readYaml, vpcSimAccepts } from './support.js';

interface Service {
  build?: string;
  image: string;
  command: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  hostname?: string;
  healthcheck?: { test: string[] };
}

const compose = readYaml('docker-compose.yml') as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const names = Object.keys(services);
const etcds = names.filter((n) => n.startsWith('etcd-'));
const ipamds = names.filter((n) => n.startsWith('ipamd-'));
const sim = services['vpc-sim'] as Service;
const svc = (n: string) => services[n] as Service;
/** `host:container` port mappings -> container ports. */
const containerPorts = (s: Service) => (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));
const port = (url: string) => Number(new URL(url).port);

describe('docker-compose.yml', () => {
  it('runs a 3-member etcd cluster, 3 ipamd replicas and the VPC simulator', () => {
    expect(etcds).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(ipamds).toEqual(['ipamd-0', 'ipamd-1', 'ipamd-2']);
    expect(names.sort()).toEqual([...etcds, ...ipamds, 'vpc-sim'].sort());
  });

  describe('etcd members', () => {
    let help: ReturnType<typeof etcdHelp>;
    beforeAll(() => {
      help = etcdHelp();
    });

    it('use the etcd minor version installed here (Debian 3.4), whose --help knows every flag given', () => {
      expect(help.flags.size).toBeGreaterThan(40);
      const [major, minor] = help.version.split('.');
      for (const n of etcds) {
        const s = svc(n);
        expect(s.image).toMatch(new RegExp(`^gcr\\.io/etcd-development/etcd:v${major}\\.${minor}\\.\\d+$`));
        expect(s.command[0]).toBe('/usr/local/bin/etcd');
        for (const name of flagValues(s.command.slice(1)).keys()) {
          expect(help.flags.has(name), `${n}: etcd ${help.version} has no flag --${name}`).toBe(true);
        }
        expect(s.command.slice(1).every((a) => a.startsWith('--'))).toBe(true);
      }
    });

    it('name themselves after their service and agree on one initial cluster', () => {
      const cluster = new Map<string, string>();
      for (const n of etcds) {
        const c = svc(n).command;
        expect(flag(c, 'name')).toBe(n);
        const peer = flag(c, 'initial-advertise-peer-urls') as string;
        expect(new URL(peer).hostname).toBe(n);
        expect(port(peer)).toBe(port(flag(c, 'listen-peer-urls') as string));
        const client = flag(c, 'advertise-client-urls') as string;
        expect(new URL(client).hostname).toBe(n);
        expect(port(client)).toBe(port(flag(c, 'listen-client-urls') as string));
        cluster.set(n, peer);
        expect(flag(c, 'initial-cluster-state')).toBe('new');
        expect(flag(c, 'initial-cluster-token')).toBe(flag(svc('etcd-0').command, 'initial-cluster-token'));
        expect(svc(n).healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port(client)}`);
      }
      const expected = [...cluster].map(([n, u]) => `${n}=${u}`).join(',');
      for (const n of etcds) expect(flag(svc(n).command, 'initial-cluster')).toBe(expected);
    });
  });

  describe('the VPC simulator', () => {
    it("is the image's vpc-sim entry with flags its CLI accepts and a seed that exists", async () => {
      expect(sim.build).toBe('.');
      expect(sim.command[0]).toBe('deploy/docker/bin/vpc-sim.mjs');
      expect(exists(sim.command[0] as string)).toBe(true);
      const r = await vpcSimAccepts(sim.command.slice(1));
      expect(r.code, r.out).toBe(0);
      expect(exists(flag(sim.command, 'seed') as string)).toBe(true);
      expect(flag(sim.command, 'host')).toBe('0.0.0.0');
      expect(containerPorts(sim)).toEqual([Number(flag(sim.command, 'port'))]);
    });

    it('a flag the CLI does not know would fail this check', async () => {
      expect((await vpcSimAccepts([...sim.command.slice(1), '--no-such-flag'])).code).toBe(2);
    });
  });

  describe('ipamd replicas', () => {
    const etcdClientUrls = etcds.map((n) => flag(svc(n).command, 'advertise-client-urls'));

    it.each(ipamds)('%s: its command parses with ipamd’s own parser', (n) => {
      const s = svc(n);
      expect(s.build).toBe('.');
      expect(s.image).toBe(sim.image);
      expect(s.command[0]).toBe('deploy/docker/bin/ipamd.mjs');
      const r = parseIpamd(s.command.slice(1), s.environment ?? {});
      expect(r.ok ? [] : r.problems).toEqual([]);
    });

    it.each(
      ipamds,
    )('%s: reaches every etcd member, the simulator with its credentials, and listens where it publishes', (n) => {
      const s = svc(n);
      const r = parseIpamd(s.command.slice(1), s.environment ?? {});
      if (!r.ok) throw new Error(r.problems.join('; '));
      const c = r.config;
      expect(c.etcd.endpoints).toEqual(etcdClientUrls);
      const cloud = new URL(c.cloud.endpoint);
      expect(cloud.hostname).toBe('vpc-sim');
      expect(Number(cloud.port)).toBe(Number(flag(sim.command, 'port')));
      expect(c.cloud.region).toBe(flag(sim.command, 'region'));
      expect(c.cloud.credentials).toEqual({
        secretId: flag(sim.command, 'secret-id'),
        secretKey: flag(sim.command, 'secret-key'),
      });
      expect(containerPorts(s)).toEqual([c.listen.port]);
      expect(c.replicaId).toBe(n);
      // the advertised URL (0.0.0.0 -> the host name) must resolve on the compose network
      expect(s.hostname).toBe(n);
      expect(Object.keys(s.depends_on ?? {}).sort()).toEqual([...etcds, 'vpc-sim'].sort());
      expect(s.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${c.listen.port}/readyz`);
    });

    it('replicas are distinct: ids and published host ports', () => {
      const hostPorts = ipamds.flatMap((n) => (svc(n).ports ?? []).map((p) => p.split(':')[0]));
      expect(new Set(hostPorts).size).toBe(ipamds.length);
    });

    it('the health check path is a route of the ipamd API', async () => {
      const status = await ipamdGetStatus(['/readyz']);
      expect(status.get('/readyz')).not.toBe(404);
    });

    it('a misspelt flag would fail this check', () => {
      const s = svc('ipamd-0');
      const r = parseIpamd([...s.command.slice(1), '--etcd-endpoint=http://x:2379'], s.environment ?? {});
      expect(r.ok).toBe(false);
    });
  });

  it('declares every named volume the services mount', () => {
    const mounted = names.flatMap((n) =>
      ((services[n] as { volumes?: string[] }).volumes ?? []).map((v) => v.split(':')[0] as string),
    );
    expect(mounted.sort()).toEqual(Object.keys(compose.volumes).sort());
  });
});
