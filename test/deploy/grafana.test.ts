/**
 * deploy/grafana/eni-ipam.json: every PromQL expression names only metrics ipamd registers
 * (IpamdMetrics with its process metrics; histograms as _bucket/_sum/_count), and every metric
 * documented in packages/ipamd/METRICS.md is on a panel.
 */
import { IpamdMetrics } from '@eni-ipam/ipamd';
import { beforeAll, describe, expect, it } from 'vitest';
import { readText } from './support.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}
const dashboard = JSON.parse(readText('deploy/grafana/eni-ipam.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/**
 * The metric names of a PromQL expression: identifiers that are not functions (followed by `(`),
 * keywords, label names of `by (...)`-style groupings, label matchers, ranges or string literals.
 * A small scanner rather than a PromQL parser: no maintained JavaScript PromQL parser exists
 * that handles the full grammar, and dashboards use only this subset.
 */
export const metricNames = (expr: string): string[] => {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m as unknown as [string, string, string | undefined];
    if (call || KEYWORDS.has(name) || /^\d/.test(name)) continue;
    if (/^[0-9.e+-]+$/.test(name)) continue;
    out.push(name);
  }
  return out;
};

describe('Grafana dashboard', () => {
  let registered: Set<string>;
  beforeAll(async () => {
    const metrics = await new IpamdMetrics().withProcessMetrics().registry.getMetricsAsJSON();
    registered = new Set(
      metrics.flatMap((m) =>
        String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
      ),
    );
  });

  it('the scanner finds metric names and skips functions, labels and keywords', () => {
    expect(
      metricNames('histogram_quantile(0.99, sum by (le, mode) (rate(a_bucket{x="y"}[5m]))) / on() group_left b'),
    ).toEqual(['a_bucket', 'b']);
  });

  it('has expressions on a datasource variable', () => {
    expect(exprs.length).toBeGreaterThan(20);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(['$', '{datasource}'].join('')); // Grafana's variable syntax
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe(p.datasource?.uid);
    }
  });

  it.each(exprs)('$panel: names only metrics ipamd registers', ({ expr }) => {
    const names = metricNames(expr);
    expect(names.length, expr).toBeGreaterThan(0);
    for (const n of names) expect(registered.has(n), `${n} is not registered by IpamdMetrics`).toBe(true);
  });

  it('shows every metric documented in METRICS.md', () => {
    const documented = [...readText('packages/ipamd/METRICS.md').matchAll(/^\| `(eni_ipam_[a-z_]+)` \|/gm)].map(
      (m) => m[1] as string,
    );
    expect(documented.length).toBeGreaterThanOrEqual(18);
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const d of documented) expect(used.has(d), `${d} is on no panel`).toBe(true);
  });
});
