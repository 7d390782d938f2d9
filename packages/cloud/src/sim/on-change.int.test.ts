/**
 * The `onChange` hook: given a simulator whose hook records states, when the real adapter
 * creates, attaches and assigns, then the hook has seen each change before the adapter's call
 * resolved (an attach is reported attached before its task answers SUCCESS), reads that change
 * nothing do not call it, and a failing hook fails the request without losing the report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adapterFor, createTestEni, startTestSimulator } from '../testing/index.js';
import type { SimDump, VpcSimulator } from './server.js';

const INSTANCE = 'ins-00000000';
let sim: VpcSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('simulator onChange hook', () => {
  it('reports every change before the call that made it (or learns of it) is answered', async () => {
    const seen: SimDump[] = [];
    sim = await startTestSimulator({ onChange: (s) => void seen.push(s) });
    const api = adapterFor(sim);
    const eni = await createTestEni(api, 'hook-1');
    expect(seen.at(-1)?.enis.map((e) => e.eniId)).toEqual([eni.eniId]);

    await api.attachEni({ clientToken: 'hook-a', eniId: eni.eniId, instanceId: INSTANCE });
    // the adapter resolved after the task answered SUCCESS: the hook saw the ENI attached first
    const attached = seen.at(-1)?.enis.find((e) => e.eniId === eni.eniId);
    expect(attached).toMatchObject({ state: 'AVAILABLE', instanceId: INSTANCE, deviceIndex: 1 });

    const ips = await api.assignIps({ clientToken: 'hook-i', eniId: eni.eniId, count: 2 });
    expect(seen.at(-1)?.enis.find((e) => e.eniId === eni.eniId)?.secondaryIps).toEqual([...ips]);

    const calls = seen.length;
    await api.describeEnis({ eniIds: [eni.eniId] });
    await api.describeSubnets(['subnet-pods0001']);
    expect(seen.length).toBe(calls);
  });

  it('a throwing hook fails the request; the change is reported again with the next one', async () => {
    let failing = true;
    const seen: SimDump[] = [];
    sim = await startTestSimulator({
      onChange: (s) => {
        if (failing) throw new Error('hook down');
        seen.push(s);
      },
    });
    const api = adapterFor(sim, { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(createTestEni(api, 'hook-2')).rejects.toMatchObject({ code: 'CloudAmbiguous' });
    expect(seen).toEqual([]);
    failing = false;
    await api.describeEnis({});
    expect(seen).toHaveLength(1);
    expect(seen[0]?.enis).toHaveLength(1);
  });
});
