import { afterEach, describe, expect, it } from 'vitest';
import { hostVethName, POD_RULE_PRIORITY } from '../agent/host-layout.js';
import { cniHarness, conf, EXCL_MAC, env, POD_NS, parsed } from '../testing/cni-harness.js';

type Harness = Awaited<ReturnType<typeof cniHarness>>;
let h: Harness;
afterEach(async () => h?.close());

const nothingChanged = (x: Harness) => {
  expect(x.net.calls).toEqual([]);
  expect(x.ipamd.nodes.get('n1')?.allocations.size).toBe(0);
};

/** Whatever ADD started (the veth is built while ipamd allocates) was rolled back. */
const nothingLeft = async (x: Harness) => {
  expect(x.net.linkNames()).toEqual(['eth1', 'eth2']);
  expect(x.net.linkNames(POD_NS)).toEqual(['lo']);
  expect(await x.net.rules()).toEqual([]);
  expect(await x.net.routes('all')).toEqual([]);
  expect(x.ipamd.nodes.get('n1')?.allocations.size).toBe(0);
};

describe('CNI dispatcher: bad input gets a spec error and changes nothing', () => {
  it.each([
    { what: 'no CNI_COMMAND', e: env('ADD', { CNI_COMMAND: undefined }), stdin: conf(), code: 4 },
    { what: 'unknown CNI_COMMAND', e: env('FROB'), stdin: conf(), code: 4 },
    { what: 'malformed stdin JSON', e: env('ADD'), stdin: '{"cniVersion":', code: 6 },
    { what: 'config without name', e: env('ADD'), stdin: conf({ name: undefined }), code: 7 },
    { what: 'config of another plugin type', e: env('ADD'), stdin: conf({ type: 'bridge' }), code: 7 },
    { what: 'unsupported cniVersion', e: env('ADD'), stdin: conf({ cniVersion: '0.2.0' }), code: 1 },
    { what: 'no CNI_CONTAINERID', e: env('ADD', { CNI_CONTAINERID: undefined }), stdin: conf(), code: 4 },
    { what: 'CNI_CONTAINERID "." (libcni rule)', e: env('ADD', { CNI_CONTAINERID: '.' }), stdin: conf(), code: 4 },
    { what: 'CNI_CONTAINERID with a slash', e: env('DEL', { CNI_CONTAINERID: 'a/b' }), stdin: conf(), code: 4 },
    { what: 'no CNI_IFNAME', e: env('DEL', { CNI_IFNAME: undefined }), stdin: conf(), code: 4 },
    { what: 'CNI_IFNAME with a slash and spaces', e: env('ADD', { CNI_IFNAME: 'a/b c' }), stdin: conf(), code: 4 },
    { what: 'CNI_IFNAME longer than 15 bytes', e: env('ADD', { CNI_IFNAME: 'e'.repeat(16) }), stdin: conf(), code: 4 },
    { what: 'CNI_IFNAME ..', e: env('CHECK', { CNI_IFNAME: '..' }), stdin: conf(), code: 4 },
    { what: 'no CNI_NETNS on ADD', e: env('ADD', { CNI_NETNS: undefined }), stdin: conf(), code: 4 },
    {
      what: 'netns path that does not exist',
      e: env('ADD', { CNI_NETNS: '/var/run/netns/nope' }),
      stdin: conf(),
      code: 4,
    },
    {
      what: 'no K8S_POD_NAME in CNI_ARGS',
      e: env('ADD', { CNI_ARGS: 'K8S_POD_NAMESPACE=default' }),
      stdin: conf(),
      code: 4,
    },
    { what: 'CHECK without prevResult', e: env('CHECK'), stdin: conf(), code: 7 },
  ])('$what -> code $code', async ({ e, stdin, code }) => {
    h = await cniHarness();
    const out = await h.run(e, stdin);
    expect(out.exitCode).toBe(1);
    expect(parsed(out)).toMatchObject({ code, msg: expect.any(String) });
    nothingChanged(h);
  });

  it('pool exhausted -> code 11 (try again later), nothing allocated or created', async () => {
    h = await cniHarness({ sharedIps: [] });
    const out = await h.run(env('ADD'), conf());
    expect(parsed(out)).toMatchObject({ code: 11, details: 'PoolExhausted' });
    await nothingLeft(h);
  });

  it('ipamd unreachable -> code 11, nothing created', async () => {
    h = await cniHarness({ ipamdUrl: 'http://127.0.0.1:1' });
    const out = await h.run(env('ADD'), conf());
    expect(parsed(out)).toMatchObject({ code: 11, details: 'IpamdUnavailable' });
    await nothingLeft(h);
  });
});

describe('CNI dispatcher: VERSION', () => {
  it('lists 0.4.0 and 1.0.0 and echoes the config version', async () => {
    h = await cniHarness();
    const out = await h.run({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
    expect(out.exitCode).toBe(0);
    expect(parsed(out)).toEqual({ cniVersion: '0.4.0', supportedVersions: ['0.4.0', '1.0.0'] });
  });
});

describe('CNI dispatcher: shared ENI', () => {
  it('ADD allocates, builds both ends and returns interfaces, ips, routes', async () => {
    h = await cniHarness();
    const out = await h.run(env('ADD'), conf());
    expect(out.exitCode).toBe(0);
    const veth = hostVethName('c1');
    expect(parsed(out)).toMatchObject({
      cniVersion: '1.0.0',
      interfaces: [{ name: veth }, { name: 'eth0', sandbox: POD_NS }],
      ips: [{ address: '10.0.1.10/32', gateway: '169.254.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
    });
    expect(h.net.linkNames(POD_NS)).toContain('eth0');
    expect(await h.net.rules()).toEqual([
      { priority: POD_RULE_PRIORITY, src: '10.0.1.10', table: String(2000 + h.eth1.index) },
    ]);
    expect(await h.net.routes('main')).toMatchObject([{ dst: '10.0.1.10', dev: veth }]);
    expect(await h.net.routes('main', POD_NS)).toMatchObject([{ dst: 'default', gateway: '169.254.1.1', dev: 'eth0' }]);
    // the veth (during allocation), then host routes and pod end side by side: two spawns deep
    const where = h.net.calls.map((c) => c.netns ?? 'host');
    expect(where[0]).toBe('host');
    expect(where.slice(1).sort()).toEqual([POD_NS, 'host'].sort());
  });

  it('ADD with a 0.4.0 config renders a 0.4.0 result', async () => {
    h = await cniHarness();
    const out = await h.run(env('ADD'), conf({ cniVersion: '0.4.0' }));
    expect(parsed(out)).toMatchObject({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.1.10/32' }] });
  });

  it('a failed ADD rolls back veth, rule, route and the allocation -> code 100', async () => {
    h = await cniHarness();
    h.net.failOn = (c, ns) => ns === POD_NS && c.op === 'addrAdd';
    const out = await h.run(env('ADD'), conf());
    expect(parsed(out)).toMatchObject({ code: 100 });
    expect(h.net.linkNames()).not.toContain(hostVethName('c1'));
    expect(h.net.linkNames(POD_NS)).toEqual(['lo']);
    expect(await h.net.rules()).toEqual([]);
    expect(await h.net.routes('main')).toEqual([]);
    expect(h.ipamd.nodes.get('n1')?.allocations.size).toBe(0);
  });

  it('DEL twice succeeds twice and leaves nothing behind', async () => {
    h = await cniHarness();
    const add = parsed(await h.run(env('ADD'), conf()));
    const stdin = conf({ prevResult: add });
    expect(await h.run(env('DEL'), stdin)).toEqual({ exitCode: 0, stdout: '' });
    expect(await h.run(env('DEL'), stdin)).toEqual({ exitCode: 0, stdout: '' });
    expect(h.net.linkNames()).not.toContain(hostVethName('c1'));
    expect(h.net.linkNames(POD_NS)).toEqual(['lo']);
    expect(await h.net.rules()).toEqual([]);
    expect(h.ipamd.nodes.get('n1')?.allocations.size).toBe(0);
  });

  it('DEL without a netns (sandbox already gone) cleans the host side', async () => {
    h = await cniHarness();
    const add = parsed(await h.run(env('ADD'), conf()));
    const out = await h.run(env('DEL', { CNI_NETNS: undefined }), conf({ prevResult: add }));
    expect(out.exitCode).toBe(0);
    expect(h.net.linkNames()).not.toContain(hostVethName('c1'));
    expect(await h.net.rules()).toEqual([]);
  });

  it('CHECK passes against prevResult, fails on a different address, and on an unknown container', async () => {
    h = await cniHarness();
    const add = parsed(await h.run(env('ADD'), conf()));
    expect(await h.run(env('CHECK'), conf({ prevResult: add }))).toEqual({ exitCode: 0, stdout: '' });
    const wrong = { ...add, ips: [{ address: '10.0.1.99/32', gateway: '169.254.1.1', interface: 1 }] };
    expect(parsed(await h.run(env('CHECK'), conf({ prevResult: wrong })))).toMatchObject({ code: 103 });
    const unknown = await h.run(env('CHECK', { CNI_CONTAINERID: 'nobody' }), conf({ prevResult: add }));
    expect(parsed(unknown)).toMatchObject({ code: 3 });
  });
});

describe('CNI dispatcher: exclusive ENI', () => {
  it('ADD moves the ENI into the pod as CNI_IFNAME; DEL brings it back under its name', async () => {
    h = await cniHarness();
    const out = await h.run(env('ADD'), conf({ type: 'tke-direct-eni' }));
    expect(parsed(out)).toMatchObject({
      interfaces: [{ name: 'eth0', mac: EXCL_MAC, sandbox: POD_NS }],
      ips: [{ address: '10.0.1.6/24', gateway: '10.0.1.1', interface: 0 }],
    });
    expect(h.net.linkNames()).not.toContain('eth2');
    expect(h.net.linkNames(POD_NS)).toContain('eth0');
    const stdin = conf({ type: 'tke-direct-eni', prevResult: parsed(out) });
    expect(await h.run(env('CHECK'), stdin)).toEqual({ exitCode: 0, stdout: '' });
    expect((await h.run(env('DEL'), stdin)).exitCode).toBe(0);
    expect(h.net.linkNames(POD_NS)).toEqual(['lo']);
    expect(h.net.linkNames()).toContain('eth2');
    expect((await h.run(env('DEL'), stdin)).exitCode).toBe(0);
  });
});
