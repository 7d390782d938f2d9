import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addCpu, cpuSample, cpuSpent, perOperation } from './cpu.js';

describe('cpu accounting from /proc', () => {
  it('finds this process and its children, and counts the CPU they spend', async () => {
    // a child that burns 300 ms of CPU (counted by itself, so a loaded machine only makes it slower)
    const burn = `while (process.cpuUsage().user < 300000); console.log('done'); setInterval(() => {}, 1000)`;
    const child = spawn(process.execPath, ['-e', burn], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const before = cpuSample();
      expect(before.get(process.pid)?.role).toBe('loadGenerator');
      await new Promise((r) => child.stdout.once('data', r));
      const after = cpuSample();
      expect(after.get(child.pid as number)?.role).toBe('other');
      const spent = cpuSpent(before, after);
      expect(spent.other).toBeGreaterThanOrEqual(250);
      expect(spent.other).toBeLessThanOrEqual(2000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('adds by role and divides per operation, with the total', () => {
    const into: Record<string, number> = {};
    addCpu(into, { leader: 300, etcd: 100 });
    addCpu(into, { leader: 100, loadGenerator: 200 });
    expect(into).toEqual({ leader: 400, etcd: 100, loadGenerator: 200 });
    expect(perOperation(into, 1000)).toEqual({ etcd: 0.1, leader: 0.4, loadGenerator: 0.2, total: 0.7 });
  });

  it('ignores processes absent from the first sample (started meanwhile)', () => {
    const before = new Map([[1, { role: 'etcd', ticks: 10 }]]);
    const after = new Map([
      [1, { role: 'etcd', ticks: 15 }],
      [2, { role: 'leader', ticks: 99 }],
    ]);
    expect(cpuSpent(before, after)).toEqual({ etcd: 50 });
  });
});
