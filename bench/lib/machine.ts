/**
 * What the numbers were measured on. A ratio is only meaningful with its machine, and on
 * these 2-core machines the client, PostgreSQL and Freshet all share the same two cores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem, release, platform, loadavg } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: a busy machine explains noisy figures. */
  loadAverage1m: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

export function machineInfo(repoRoot: string): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
    gitCommit: git(repoRoot, ['rev-parse', '--short', 'HEAD']),
    gitDirty: ((s) => (s === null ? null : s.length > 0))(git(repoRoot, ['status', '--porcelain', '--untracked-files=no'])),
  };
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Aggregate CPU jiffies from the first line of /proc/stat; null where there is no /proc. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function readCpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...; idle + iowait are not busy.
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Fraction of all cores that were busy between two samples, 0..1. */
export function busyFraction(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total;
  return total > 0 ? (b.busy - a.busy) / total : 0;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_S = 100;

/**
 * From /proc/<pid>/stat: parent pid, user+system CPU ticks of the process, and of its
 * children that exited and were reaped (cutime+cstime), or null.
 */
function procStat(pid: number): { ppid: number; ticks: number; reapedTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), reapedTicks: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/**
 * CPU seconds (user + system) used so far by `pid` and all its descendants, running or
 * exited and reaped (PostgreSQL's backends are children of the postmaster, which reaps
 * them when a connection ends), or null without /proc.
 */
export function processTreeCpuSeconds(pid: number): number | null {
  const root = procStat(pid);
  if (!root) return null;
  let ticks = root.ticks + root.reapedTicks;
  const children = new Map<number, number[]>();
  const stats = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child) || child === pid) continue;
    const st = procStat(child);
    if (!st) continue;
    stats.set(child, st.ticks);
    const list = children.get(st.ppid);
    if (list) list.push(child);
    else children.set(st.ppid, [child]);
  }
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const c = queue.pop()!;
    ticks += stats.get(c) ?? 0;
    queue.push(...(children.get(c) ?? []));
  }
  return ticks / CLOCK_TICKS_PER_S;
}

/**
 * CPU seconds (user + system) of one thread of `pid` (`tid` = `pid`: the main thread, which
 * runs a Freshet server's dataflow), or null without /proc.
 */
export function threadCpuSeconds(pid: number, tid = pid): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Peak resident set size of a process (VmHWM), in MiB, or null without /proc. */
export function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** The progress line that says what a run is measured on. */
export function machineLine(m: MachineInfo): string {
  return `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, load avg ${m.loadAverage1m}`;
}
