import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IpamdMetrics } from './metrics.js';

const doc = readFileSync(new URL('../../METRICS.md', import.meta.url), 'utf8');

describe('METRICS.md', () => {
  it('documents every metric with its type and labels, and nothing that does not exist', async () => {
    const metrics = await new IpamdMetrics().registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(10);
    for (const m of metrics) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${m.name}\` |`));
      expect(row, `${m.name} is not in METRICS.md`).toBeDefined();
      expect(row).toContain(`| ${m.type} |`);
      for (const label of (m as { labelNames?: string[] }).labelNames ?? []) expect(row).toContain(`\`${label}\``);
    }
    const documented = [...doc.matchAll(/^\| `(eni_ipam_[a-z_]+)` \|/gm)].map((x) => x[1]);
    expect(documented.sort()).toEqual(metrics.map((m) => m.name).sort());
  });

  it('process metrics come on request, with the prefix', async () => {
    const names = (await new IpamdMetrics().withProcessMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('eni_ipam_process_cpu_user_seconds_total');
  });
});
