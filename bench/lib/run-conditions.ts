/**
 * The conditions a run was measured under, recorded for every scenario by the CLI: the
 * machine, the load average before and after, and a plain verdict on whether the figures
 * can be trusted. A scenario that repeats measurements hands its spreads over
 * (`ScenarioOutput.spreads`); the verdict then also says which figures wandered.
 */
import { freemem, loadavg } from 'node:os';
import { machineInfo, type MachineInfo } from './machine';
import { type PinPlan, pinPlan } from './pinning';
import { NOISY_SPREAD_PCT } from './stats';

export interface LoadSnapshot {
  at: string;
  /** 1-, 5- and 15-minute load averages. */
  loadAverage: [number, number, number];
  freeMemoryGiB: number;
}

export interface Spread {
  /** What was repeated, e.g. `freshet hot-key extended 8 conns QPS`. */
  label: string;
  /** (max − min) / median of the repeats, percent. */
  pct: number;
}

export interface NoiseVerdict {
  trustworthy: boolean;
  reasons: string[];
}

export interface RunConditions {
  machine: MachineInfo;
  /** CPU pinning of the run (`--pin`), null when the scheduler placed everything. */
  pinned?: PinPlan | null;
  before: LoadSnapshot;
  after: LoadSnapshot;
  verdict: NoiseVerdict;
}

/** Above this 1-minute load per core the machine was oversubscribed: other work competed for the CPUs. */
export const MAX_LOAD_PER_CORE = 1;

const r2 = (x: number) => Math.round(x * 100) / 100;

export function loadSnapshot(): LoadSnapshot {
  const [a, b, c] = loadavg();
  return { at: new Date().toISOString(), loadAverage: [r2(a), r2(b), r2(c)], freeMemoryGiB: r2(freemem() / 2 ** 30) };
}

/**
 * Untrustworthy when the 1-minute load average before or after exceeded the cores
 * (something else was running), or when any repeated figure spread more than
 * NOISY_SPREAD_PCT. Spreads of single runs cannot be judged and are not invented.
 */
export function noiseVerdict(cores: number, before: LoadSnapshot, after: LoadSnapshot, spreads: readonly Spread[] = []): NoiseVerdict {
  const reasons: string[] = [];
  const limit = cores * MAX_LOAD_PER_CORE;
  const worst = Math.max(before.loadAverage[0], after.loadAverage[0]);
  if (worst > limit) reasons.push(`1-minute load average reached ${worst.toFixed(2)} on ${cores} cores (limit ${limit}): other work competed for the CPUs`);
  const wide = spreads.filter((s) => s.pct > NOISY_SPREAD_PCT);
  if (wide.length) {
    const shown = [...wide].sort((a, b) => b.pct - a.pct).slice(0, 5);
    reasons.push(
      `${wide.length} of ${spreads.length} repeated figures spread more than ${NOISY_SPREAD_PCT}% (worst: ${shown.map((s) => `${s.label} ${s.pct.toFixed(0)}%`).join(', ')})`,
    );
  }
  return { trustworthy: reasons.length === 0, reasons };
}

export function runConditions(repoRoot: string, before: LoadSnapshot, after: LoadSnapshot, spreads: readonly Spread[] = []): RunConditions {
  const machine = machineInfo(repoRoot);
  return { machine, pinned: pinPlan(), before, after, verdict: noiseVerdict(machine.cores, before, after, spreads) };
}

const la = (s: LoadSnapshot) => s.loadAverage.map((x) => x.toFixed(2)).join(' / ');

/** The report's closing section: machine, load before/after, verdict. */
export function conditionsMarkdown(c: RunConditions): string {
  const m = c.machine;
  const out = [
    '## Machine and noise',
    '',
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    c.pinned
      ? `- CPU pinning: the servers under test on CPUs ${c.pinned.server}, the load generator on CPUs ${c.pinned.client} (\`--pin\`, taskset).`
      : '- CPU pinning: none (the scheduler placed servers and load generator; `--pin` splits the CPUs).',
    `- Load average (1 / 5 / 15 min): ${la(c.before)} before (${c.before.at}), ${la(c.after)} after (${c.after.at}); free memory ${c.before.freeMemoryGiB} → ${c.after.freeMemoryGiB} GiB.`,
    c.verdict.trustworthy
      ? `- Verdict: **quiet enough** — load stayed within ${m.cores} (one per core) and no repeated figure spread more than ${NOISY_SPREAD_PCT}%.`
      : `- Verdict: **TOO NOISY TO TRUST** — ${c.verdict.reasons.join('; ')}. Rerun on a quiet machine before quoting absolute figures; ratios measured interleaved in the same run are less affected.`,
    '',
  ];
  return out.join('\n');
}
