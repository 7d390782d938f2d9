/**
 * The CNI plugin's stdin and environment, fuzzed (fast-check, 10,000 cases) against the real
 * dispatcher, handlers and ipamd client, with a fake host and a fake ipamd on loopback: it never
 * throws, always answers the spec's way (exit 0, or exit 1 with a JSON error), and an error leaves
 * nothing behind (no allocation, link, rule or route). A successful ADD is undone by a DEL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cniHarness, conf, POD_NS } from '../testing/cni-harness.js';

type Harness = Awaited<ReturnType<typeof cniHarness>>;
let h: Harness;
beforeAll(async () => {
  h = await cniHarness();
});
afterAll(async () => h?.close());

const nothingLeft = async () => {
  expect(h.net.linkNames()).toEqual(['eth1', 'eth2']);
  expect(h.net.linkNames(POD_NS)).toEqual(['lo']);
  expect(await h.net.rules()).toEqual([]);
  expect(await h.net.routes('all')).toEqual([]);
  expect(h.ipamd.nodes.get('n1')?.allocations.size).toBe(0);
};

const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '../../etc', 'a'.repeat(300), '\u0000'));
/** A variable kept valid, dropped, or replaced. */
const variable = (valid: string, near: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<string | undefined>(valid) },
    { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 2, arbitrary: near.map((s): string | undefined => s) },
    { weight: 1, arbitrary: junk.map((s): string | undefined => s) },
  );
const cniEnv = fc.record({
  CNI_COMMAND: variable('ADD', fc.constantFrom('DEL', 'CHECK', 'VERSION', 'GC', 'STATUS', 'add', 'ADD ')),
  CNI_CONTAINERID: variable('c1', fc.stringMatching(/^[A-Za-z0-9_.\-/ ]{0,70}$/)),
  CNI_NETNS: variable(POD_NS, fc.constantFrom('/var/run/netns/nope', '', '/proc/1/ns/net', `${POD_NS}/..`)),
  CNI_IFNAME: variable('eth0', fc.constantFrom('', 'eth1', 'a'.repeat(16), 'eth 0', 'eth/0', 'lo', '.', 'x')),
  CNI_ARGS: variable(
    'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1',
    fc
      .array(
        fc.tuple(
          fc.constantFrom('K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_UID', 'IgnoreUnknown', 'X', ''),
          fc.oneof(fc.constantFrom('default', 'web-0', 'Bad_Name', ''), fc.string({ maxLength: 20 })),
        ),
        { maxLength: 5 },
      )
      .map((kv) => kv.map(([k, v]) => `${k}=${v}`).join(';')),
  ),
  CNI_PATH: variable('/opt/cni/bin', junk),
});
const stdin = fc.oneof(
  { weight: 3, arbitrary: fc.constant(conf()) },
  {
    weight: 4,
    arbitrary: fc
      .dictionary(
        fc.constantFrom('cniVersion', 'name', 'type', 'prevResult', 'ipam', 'runtimeConfig', '__proto__', 'extra'),
        fc.oneof(fc.jsonValue(), fc.constantFrom('1.0.0', '0.4.0', '0.3.1', '9.9.9', 'vpc', 'tke-route-eni')),
        { maxKeys: 3 },
      )
      .map((patch) => conf(patch)),
  },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
);

it('fuzzed stdin and env: never a crash, a spec answer always, nothing left by an error', async () => {
  await fc.assert(
    fc.asyncProperty(cniEnv, stdin, async (e, input) => {
      const out = await h.run(e, input);
      expect([0, 1]).toContain(out.exitCode);
      if (out.exitCode === 1) {
        const err = JSON.parse(out.stdout) as { code?: unknown; msg?: unknown };
        expect(typeof err.code).toBe('number');
        expect(typeof err.msg).toBe('string');
        await nothingLeft();
        return;
      }
      if (out.stdout.trim()) JSON.parse(out.stdout);
      if (h.ipamd.nodes.get('n1')?.allocations.size) {
        // a successful ADD: the DEL of the same container (with prevResult, as the runtime sends
        // it; the harness's agent view knows no allocation) takes everything away again
        const del = await h.run({ ...e, CNI_COMMAND: 'DEL' }, conf({ prevResult: JSON.parse(out.stdout) }));
        expect(del.exitCode).toBe(0);
      }
      await nothingLeft();
    }),
    // one harness for all cases (each leaves it clean): no shrinking, which would run on the state a
    // failure left; the reported case is the first failing one
    { numRuns: 10_000, endOnFailure: true },
  );
}, 300_000);
