/**
 * `npm run chaos -- --quick --json` as CI runs it: ~1,000 pod operations (shared, exclusive and
 * static pods) through 3 ipamd replicas on etcd in network namespaces while the nemesis kills,
 * pauses, partitions and restarts parts; the independent checker must find no violation, no lost acknowledgement and no leak.
 * Needs root (network namespaces); CI runs as root.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('chaos --quick: every fault kind injected, nothing violated, lost or leaked', async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('the chaos test needs root: it creates network namespaces, veths and a bridge (CI runs as root)');
  }
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'test/chaos/run.ts', '--quick', '--json'],
      { cwd: root, timeout: 420_000, maxBuffer: 64 << 20 },
      (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: out, stderr: errOut }),
    );
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  expect(line.startsWith('{'), `no JSON report (exit ${code}): ${stderr.slice(-3000)}`).toBe(true);
  const report = JSON.parse(line) as {
    operations: number;
    faults: Record<string, number>;
    violations: number;
    violationDetails: unknown[];
    lostAcks: number;
    lostAckDetails: unknown[];
    leaks: number;
    leakDetails: unknown[];
    verify: { exitCode: number };
    workload: { allocations: number; exclusiveAllocations: number };
    staticPods: { allocations: number };
  };
  expect(report.violationDetails).toEqual([]);
  expect(report.lostAckDetails).toEqual([]);
  expect(report.leakDetails).toEqual([]);
  expect({ violations: report.violations, lostAcks: report.lostAcks, leaks: report.leaks }).toEqual({
    violations: 0,
    lostAcks: 0,
    leaks: 0,
  });
  expect(report.verify.exitCode).toBe(0);
  expect(report.operations).toBeGreaterThanOrEqual(1000);
  // all three modes: shared, exclusive ENIs, static pods (claim policy Never)
  expect(report.workload.exclusiveAllocations).toBeGreaterThan(0);
  expect(report.staticPods.allocations).toBeGreaterThan(0);
  expect(report.workload.allocations).toBeGreaterThan(
    report.workload.exclusiveAllocations + report.staticPods.allocations,
  );
  expect(Object.keys(report.faults).sort()).toEqual(
    [
      'kill-follower',
      'kill-leader',
      'partition-etcd-leader',
      'partition-etcd-member',
      'pause-leader',
      'restart-etcd-member',
      'restart-simulator',
    ].sort(),
  );
  expect(code).toBe(0);
}, 480_000);
