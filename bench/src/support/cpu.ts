/**
 * CPU time of the bench's own process tree, by role (load generator, ipamd leader, follower, etcd,
 * simulator, the floor API), from /proc/<pid>/stat (user + system time of all of a process's threads, in clock
 * ticks of 10 ms). On a 2-core machine every process of a round shares the same cores, so the CPU
 * spent per operation by all of them together is what bounds throughput: items 1 and 2 report it
 * for ipamd's rounds and for the raw puts alike. No library reads per-process CPU of other
 * processes (pidusage shells out to ps on some platforms); /proc is two fields of one line.
 */
import { readdirSync, readFileSync } from 'node:fs';

export type CpuSample = ReadonlyMap<number, { role: string; ticks: number }>;

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux for x86-64 and arm64). */
const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  ticks: number;
}

const readStat = (pid: number): Stat | undefined => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: fields follow the last ')'
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
};

const roleOf = (pid: number): string => {
  if (pid === process.pid) return 'loadGenerator';
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return 'other';
  }
  if (/\betcd\b/.test(cmd.split(' ')[0] ?? '')) return 'etcd';
  if (cmd.includes('vpc-sim')) return 'simulator';
  if (cmd.includes('floor-api')) return 'floor';
  if (cmd.includes('ipamd.mjs')) return cmd.includes('bench-leader') ? 'leader' : 'follower';
  return 'other';
};

/** The CPU ticks so far of this process and all its descendants, by pid. */
export const cpuSample = (): CpuSample => {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((s): s is Stat => s !== undefined);
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out = new Map<number, { role: string; ticks: number }>();
  const todo = [process.pid];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    const s = byPid.get(pid);
    if (s) out.set(pid, { role: roleOf(pid), ticks: s.ticks });
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
};

/** CPU milliseconds spent between two samples, by role (processes present in both). */
export const cpuSpent = (before: CpuSample, after: CpuSample): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (!b) continue;
    out[a.role] = (out[a.role] ?? 0) + ((a.ticks - b.ticks) * 1000) / TICKS_PER_SECOND;
  }
  return out;
};

/** Adds CPU milliseconds by role into `into`. */
export const addCpu = (into: Record<string, number>, spent: Record<string, number>): void => {
  for (const [role, ms] of Object.entries(spent)) into[role] = (into[role] ?? 0) + ms;
};

/** CPU milliseconds per operation by role, with their `total`, rounded to 0.001 ms. */
export const perOperation = (spent: Record<string, number>, operations: number): Record<string, number> => {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [role, ms] of Object.entries(spent).sort()) {
    out[role] = Math.round((ms / operations) * 1000) / 1000;
    total += ms;
  }
  out.total = Math.round((total / operations) * 1000) / 1000;
  return out;
};
