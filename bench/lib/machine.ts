/**
 * What the numbers were measured on. A ratio is only meaningful with its machine, and on
 * these 2-core machines the client, PostgreSQL and Freshet all share the same two cores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
