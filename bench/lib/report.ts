/**
 * The result of a benchmark run as data (written as JSON) and as a markdown report
 * (printed and saved). Ratios are always candidate / baseline: Freshet / PostgreSQL.
 */
import type { Protocol } from './loadgen-protocol';
import type { Measurement } from './loadgen';
import type { MachineInfo } from './machine';
import { type CellSummary, median } from './stats';

export interface CellKey {
  protocol: Protocol;
  connections: number;
}

export interface CellResult extends CellKey {
  target: string;
  runs: Measurement[];
  /** Null when the cell failed (errors or wrong rows): its figures mean nothing. */
  summary: CellSummary | null;
  failure?: string;
}

export interface TargetReport {
  name: string;
  version: string;
  settings: Record<string, string>;
  load?: { method: string; rows: number; seconds: number; settleSeconds: number; settle: string };
  /** Why the target was dropped from the run, when it was. */
  unavailable?: string;
}

/** The issue's targets: Freshet ≥ 0.8× PostgreSQL's QPS, p99 ≤ 2× PostgreSQL's p99. */
export const GOALS = { minQpsRatio: 0.8, maxP99Ratio: 2 } as const;

export interface Comparison extends CellKey {
  qpsRatio: number;
  p99Ratio: number;
  qpsGoalMet: boolean;
  p99GoalMet: boolean;
}

export interface BenchResult {
  scenario: string;
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: {
    rows: number;
    durationS: number;
    warmupS: number;
    repeats: number;
    connections: number[];
    protocols: Protocol[];
    clientThreads: number;
    client: string;
  };
  targets: TargetReport[];
  cells: CellResult[];
  comparisons: Comparison[];
  notes: string[];
}

const sameCell = (a: CellKey, b: CellKey) => a.protocol === b.protocol && a.connections === b.connections;

/** One comparison per cell that both targets completed. */
export function compare(cells: readonly CellResult[], candidate: string, baseline: string): Comparison[] {
  const out: Comparison[] = [];
  for (const c of cells) {
    if (c.target !== candidate || !c.summary) continue;
    const b = cells.find((x) => x.target === baseline && sameCell(x, c));
    if (!b?.summary) continue;
    const qpsRatio = c.summary.median.qps / b.summary.median.qps;
    const p99Ratio = c.summary.median.p99Us / b.summary.median.p99Us;
    out.push({
      protocol: c.protocol,
      connections: c.connections,
      qpsRatio,
      p99Ratio,
      qpsGoalMet: qpsRatio >= GOALS.minQpsRatio,
      p99GoalMet: p99Ratio <= GOALS.maxP99Ratio,
    });
  }
  return out;
}

export const fmtQps = (q: number) => (q >= 100 || q === 0 ? Math.round(q).toLocaleString('en-US') : q.toFixed(1));
export const fmtMs = (us: number) => (us / 1000).toFixed(us < 10_000 ? 3 : 1);
export const fmtPct = (p: number) => `${p.toFixed(0)}%`;
export const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');

/** A cell's QPS, QPS spread and p50 / p99 / p99.9 columns, as every latency table shows them. */
export function summaryCells(s: CellSummary): string[] {
  return [
    fmtQps(s.median.qps),
    `${fmtQps(s.min.qps)}–${fmtQps(s.max.qps)} (${fmtPct(s.spread.qpsPct)})`,
    fmtMs(s.median.p50Us),
    fmtMs(s.median.p99Us),
    fmtMs(s.median.p999Us),
  ];
}

/** A markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Median server CPU per query over a cell's runs, in µs, or null when not measured. */
export function serverCpuUs(cell: CellResult): number | null {
  const xs = cell.runs.map((x) => x.serverCpuUsPerQuery).filter((x): x is number => x !== null && x !== undefined);
  return xs.length ? median(xs) : null;
}

const fmtCpu = (us: number | null) => (us === null ? 'n/a' : us.toFixed(1));

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const c = r.config;
  const out: string[] = [];
  out.push(`# ${r.scenario} — ${r.date}`);
  out.push('');
  out.push(
    `Scale **${r.scale}**: ${c.rows.toLocaleString('en-US')} rows; each cell ${c.durationS} s measured after ${c.warmupS} s warm-up, ` +
      `${c.repeats} run(s), median reported. Client: ${c.client}, ${c.clientThreads} worker thread(s), closed loop, uniform random existing keys.`,
  );
  out.push('');
  out.push(
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}. ` +
      `The load generator and the server under test share these ${m.cores} cores.`,
  );
  out.push('');
  for (const t of r.targets) {
    const load = t.load
      ? `loaded ${t.load.rows.toLocaleString('en-US')} rows in ${t.load.seconds.toFixed(1)} s via ${t.load.method} (then ${t.load.settle}: ${t.load.settleSeconds.toFixed(1)} s)`
      : '';
    out.push(`- **${t.name}**: ${t.unavailable ? `not measured — ${t.unavailable}` : `${t.version}; ${load}`}`);
  }
  out.push('');
  out.push('## Results');
  out.push('');
  const rows = r.cells.map((cell) => {
    const key = [cell.target, cell.protocol, String(cell.connections)];
    if (!cell.summary) return [...key, 'FAILED', '', '', '', '', '', '', '', cell.failure ?? ''];
    const s = cell.summary;
    const meanPct = (f: (x: Measurement) => number | null) => {
      const xs = cell.runs.map(f).filter((x): x is number => x !== null);
      return xs.length ? fmtPct(xs.reduce((a, b) => a + b, 0) / xs.length) : 'n/a';
    };
    return [
      ...key,
      ...summaryCells(s),
      fmtCpu(serverCpuUs(cell)),
      meanPct((x) => x.clientCpuPct),
      meanPct((x) => x.machineBusyPct),
      s.noisy ? `noisy: spread > 20%` : '',
    ];
  });
  out.push(
    markdownTable(
      ['target', 'protocol', 'conns', 'QPS', 'QPS min–max (spread)', 'p50 ms', 'p99 ms', 'p99.9 ms', 'server CPU µs/query', 'client CPU (1 core=100%)', 'machine busy', 'note'],
      rows,
    ),
  );
  out.push('');
  if (r.comparisons.length) {
    out.push(`## Freshet / PostgreSQL (goals: QPS ≥ ${GOALS.minQpsRatio}×, p99 ≤ ${GOALS.maxP99Ratio}×)`);
    out.push('');
    out.push(
      markdownTable(
        ['protocol', 'conns', 'QPS ratio', 'p99 ratio', 'QPS goal', 'p99 goal'],
        r.comparisons.map((x) => [
          x.protocol,
          String(x.connections),
          fmtRatio(x.qpsRatio),
          fmtRatio(x.p99Ratio),
          x.qpsGoalMet ? 'met' : '**missed**',
          x.p99GoalMet ? 'met' : '**missed**',
        ]),
      ),
    );
    out.push('');
  }
  if (r.notes.length) {
    out.push('## Notes');
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * The figures at a glance, for the end of the console output: per cell, Freshet's and
 * PostgreSQL's QPS and p50/p99/p99.9 side by side with the ratios and the goals.
 */
export function renderSummary(r: BenchResult, candidate = 'freshet', baseline = 'postgres'): string {
  const out = [`summary: ${candidate} vs ${baseline}, median of ${r.config.repeats} run(s), ${r.config.rows.toLocaleString('en-US')} rows`];
  for (const protocol of r.config.protocols) {
    for (const connections of r.config.connections) {
      const key = { protocol, connections };
      const a = r.cells.find((c) => c.target === candidate && sameCell(c, key));
      const b = r.cells.find((c) => c.target === baseline && sameCell(c, key));
      const label = `  ${protocol.padEnd(8)} ${String(connections).padStart(2)} conn`;
      if (!a?.summary || !b?.summary) {
        out.push(`${label}: ${a?.failure ?? b?.failure ?? 'not measured by both targets'}`);
        continue;
      }
      const x = a.summary.median;
      const y = b.summary.median;
      const cmp = r.comparisons.find((c) => sameCell(c, key))!;
      out.push(
        `${label}: QPS ${fmtQps(x.qps)} vs ${fmtQps(y.qps)} = ${fmtRatio(cmp.qpsRatio)} (goal ≥ ${GOALS.minQpsRatio}×: ${cmp.qpsGoalMet ? 'met' : 'MISSED'})` +
          ` | p99 ${fmtMs(x.p99Us)} vs ${fmtMs(y.p99Us)} ms = ${fmtRatio(cmp.p99Ratio)} (goal ≤ ${GOALS.maxP99Ratio}×: ${cmp.p99GoalMet ? 'met' : 'MISSED'})` +
          ` | p50 ${fmtMs(x.p50Us)} vs ${fmtMs(y.p50Us)}, p99.9 ${fmtMs(x.p999Us)} vs ${fmtMs(y.p999Us)} ms` +
          ` | server CPU ${fmtCpu(serverCpuUs(a))} vs ${fmtCpu(serverCpuUs(b))} µs/query`,
      );
    }
  }
  return out.join('\n');
}
