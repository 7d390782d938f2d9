/** The simulator's state survives a restart when it is given a file. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { adapterFor, createTestEni, startTestSimulator } from '../testing/index.js';

const dir = mkdtempSync(join('/dev/shm', 'eni-ipam-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('ENIs, addresses, attachments and ClientToken records are there after a restart', async () => {
  const statePath = join(dir, 'state.json');
  const first = await startTestSimulator({ statePath });
  const api = adapterFor(first);
  const eni = await createTestEni(api);
  await api.attachEni({ clientToken: 'a1', eniId: eni.eniId, instanceId: 'ins-00000000' });
  const ips = await api.assignIps({ clientToken: 'as1', eniId: eni.eniId, count: 3 });
  await first.stop();
  expect(readdirSync(dir)).toEqual(['state.json']); // written atomically: no temp file left

  // No seed this time: everything comes from the file.
  const second = await startTestSimulator({ statePath, seed: undefined });
  try {
    const again = adapterFor(second);
    const [after] = await again.describeEnis({ eniIds: [eni.eniId] });
    expect(after).toMatchObject({ instanceId: 'ins-00000000', state: 'AVAILABLE', secondaryIps: ips });
    // The token's record survived too: a repeat replays instead of binding 3 more.
    expect(await again.assignIps({ clientToken: 'as1', eniId: eni.eniId, count: 3 })).toEqual(ips);
    expect((await again.describeSubnets(['subnet-pods0001']))[0]?.availableIps).toBe(253 - 4);
  } finally {
    await second.stop();
  }
});
