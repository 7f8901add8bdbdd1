/**
 * CPU pinning for a benchmark run (`npm run bench -- … --pin`): the systems under test on
 * one set of CPUs, the load generator (this process, its worker threads) on the rest, with
 * `taskset`. On a machine this small the client and the server otherwise take turns on the
 * same cores, and which one the scheduler favours moves the figures between runs.
 *
 * Pinning is opt-in because it changes what is measured: each server gets only its share of
 * the CPUs (on 2 cores, one), which caps PostgreSQL's backends and Freshet's GC and LevelDB
 * threads alike. Every process of a server's tree is pinned (PostgreSQL's backends fork
 * from the postmaster later and inherit it), and the run's conditions section says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface PinPlan {
  /** taskset CPU lists. */
  readonly server: string;
  readonly client: string;
}

let plan: PinPlan | null = null;

/** The split in force, or null when the run is not pinned. */
export function pinPlan(): PinPlan | null {
  return plan;
}

/**
 * Pins this process (the client) to the upper half of the CPUs and makes servers started
 * from now on go to the lower half. Throws where it cannot (one CPU, no taskset).
 */
export function enablePinning(cpus: number): PinPlan {
  plan = splitCpus(cpus);
  taskset(plan.client, process.pid);
  return plan;
}

/** The lower half of `cpus` CPUs for servers, the upper half for the client. */
export function splitCpus(cpus: number): PinPlan {
  if (cpus < 2) throw new Error('--pin needs at least 2 CPUs');
  const serverCpus = Math.floor(cpus / 2);
  const range = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  return { server: range(0, serverCpus - 1), client: range(serverCpus, cpus - 1) };
}

/** Pins a server's process and every process below it to the server CPUs (no-op when not pinned). */
export function pinServerTree(pid: number | null): void {
  if (plan === null || pid === null) return;
  pinTree(plan.server, pid);
}

/** Pins `pid` and its descendants, every thread, to `cpus` (a taskset list). */
export function pinTree(cpus: string, pid: number): void {
  for (const p of processTree(pid)) taskset(cpus, p);
}

function taskset(cpus: string, pid: number): void {
  // -a: every thread of the process; threads created later inherit from their creator.
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** `pid` and its descendants (Linux /proc). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  return out;
}
