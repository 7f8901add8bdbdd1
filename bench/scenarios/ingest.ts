/**
 * Ingest through the seed feature pipeline (issue 3): events inserted in batches into
 * `user_events` and `transactions`, which feed user_session_features,
 * user_purchase_count_7d and ml_feature_vector. The figure is events per second end to
 * end: from the first INSERT until FLUSH returns, i.e. until every event is reflected in
 * every MV; the MVs' contents are then checked against totals computed on the client.
 *
 * PostgreSQL, in the same run, gets the same INSERTs into the same tables (plus an index
 * on user_id, what a PostgreSQL feature service would need to read by user) with the
 * features as regular views: its figure is the cost of ingesting without maintaining
 * anything, the features being computed at read time instead.
 *
 * The in-engine GROUP BY micro benchmark (bench/stream-agg.ts) runs at the end, so both
 * of the issue's throughput figures come from one command.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadavg } from 'node:os';
import { expectedFeatures, PIPELINE_MODE_TEXT, type PipelineMode, verificationQueries } from '../lib/feature-pipeline';
import { machineInfo, machineLine, peakRssMiB, processTreeCpuSeconds, type MachineInfo } from '../lib/machine';
import { checkpointsTaken, connect, FRESHET_HEAP_MB, settle, startPipelineTarget } from '../lib/pipeline-run';
import { runDatagen } from './ingest-datagen';
import { LOAD_TEXT, type LoadMethod, loadEvents, loadMethods } from './ingest-load';
import { fmtQps, fmtRatio, markdownTable } from '../lib/report';
import { NOISY_SPREAD_PCT, median, spreadPct } from '../lib/stats';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { barChart } from '../lib/svg';
import type { RunningTarget, TargetName } from '../lib/targets';

/** Issue 3's targets on this machine. */
export const INGEST_GOALS = { eventsPerS: 300_000, groupByRowsPerS: 1_000_000 } as const;

interface IngestPreset {
  users: number;
  events: number;
  batchRows: number;
  loadConnections: number;
  streamAggRows: number;
}

const PRESETS: Record<string, IngestPreset> = {
  quick: { users: 10_000, events: 500_000, batchRows: 1000, loadConnections: 4, streamAggRows: 1_000_000 },
  small: { users: 10_000, events: 500_000, batchRows: 1000, loadConnections: 4, streamAggRows: 1_000_000 },
  full: { users: 100_000, events: 10_000_000, batchRows: 1000, loadConnections: 4, streamAggRows: 5_000_000 },
};

/** Freshet with its default 1-second checkpoints, or with checkpoints disabled (issue 4's overhead figure). */
export type CheckpointMode = 'on' | 'off';

/** `checkpoint_frequency` meaning "never" (barriers per checkpoint). */
const NO_CHECKPOINTS = 1_000_000_000;

function checkpointModes(spec: string | undefined): CheckpointMode[] {
  if (spec === undefined || spec === 'on') return ['on'];
  if (spec === 'off') return ['off'];
  if (spec === 'both') return ['on', 'off'];
  throw new Error(`--checkpoints must be on, off or both (got ${spec})`);
}

export interface IngestRun {
  target: TargetName;
  /** How the events were loaded (INSERT or COPY). Absent in results from before COPY. */
  load?: LoadMethod;
  /** Freshet only: whether state checkpoints ran (absent: on). */
  checkpoints?: CheckpointMode;
  version: string;
  mode?: PipelineMode;
  fallbackReason?: string;
  eventRows: number;
  transactionRows: number;
  insertSeconds: number;
  flushSeconds: number;
  endToEndSeconds: number;
  eventsPerS: number;
  /** Server CPU (all its processes) per event, µs. */
  serverCpuUsPerEvent: number | null;
  /** Freshet's peak resident memory (tables and MV state are in memory), MiB. */
  serverPeakRssMiB: number | null;
  /** Freshet: state checkpoints taken during the run (absent in results from before it was counted). */
  checkpointsTaken?: number | null;
  /** Time to answer the verification queries (PostgreSQL: computing the views). */
  verifySeconds: number;
  verified: boolean;
  mismatches: string[];
  loadAverage1m: [number, number];
  failure?: string;
}

export interface StreamAggFigure {
  rows: number;
  rowsPerS: number | null;
  rowsPerCpuS: number | null;
  output: string;
}

export interface IngestResult {
  scenario: 'ingest';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: IngestPreset & { events: number };
  runs: IngestRun[];
  streamAgg: StreamAggFigure | null;
  notes: string[];
}

export const ingest: Scenario = {
  name: 'ingest',
  description: 'events/s through the seed feature pipeline (user_events + transactions → 3 MVs), end to end incl. FLUSH',
  run: async (o) => output(await run(o)),
};

function presetFor(o: ScenarioOptions): IngestPreset {
  const p = PRESETS[o.scale] ?? PRESETS.quick;
  return {
    users: o.pipeline.users ?? p.users,
    events: o.pipeline.events ?? p.events,
    batchRows: o.pipeline.batchRows ?? p.batchRows,
    loadConnections: o.pipeline.loadConnections ?? p.loadConnections,
    streamAggRows: p.streamAggRows,
  };
}

async function run(o: ScenarioOptions): Promise<IngestResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const cfg = presetFor(o);
  o.log(machineLine(machine));
  o.log(
    `plan: ${cfg.events.toLocaleString('en-US')} events (1 in 10 a purchase) over ${cfg.users.toLocaleString('en-US')} users, ` +
      `${cfg.batchRows}-event batches over ${cfg.loadConnections} connections, targets ${o.targets.join(', ')}`,
  );
  o.log(`computing expected feature totals…`);
  const expected = expectedFeatures(cfg.events, cfg.users);
  const checks = verificationQueries(expected);

  const runs: IngestRun[] = [];
  const cps = checkpointModes(o.pipeline.checkpoints);
  for (const load of loadMethods(o.pipeline.load)) {
    if (load === 'datagen') {
      // Generated inside Freshet: there is no PostgreSQL counterpart.
      if (o.targets.includes('freshet')) for (const cp of cps) runs.push(await runDatagen(o, cfg, cp));
      continue;
    }
    for (const name of o.targets) {
      if (name === 'freshet' && cps.length > 1) {
        // Issue 4's overhead is a difference of two noisy figures: the pair runs `--repeats`
        // times, interleaved, the order flipped each time, and the medians are compared.
        for (let k = 0; k < o.repeats; k++) {
          o.log(`checkpoint overhead: pair ${k + 1} of ${o.repeats}`);
          for (const cp of k % 2 === 0 ? cps : [...cps].reverse()) runs.push(await runTarget(o, name, cfg, checks, load, cp));
        }
      } else for (const cp of name === 'freshet' ? cps : (['on'] as const)) runs.push(await runTarget(o, name, cfg, checks, load, cp));
    }
  }

  const streamAgg = await runStreamAgg(o, cfg.streamAggRows);
  return {
    scenario: 'ingest',
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: cfg,
    runs,
    streamAgg,
    notes: notesFor(runs, machine),
  };
}

/** A run's record before anything is measured. */
export function emptyRun(name: TargetName, load: LoadMethod, checkpoints: CheckpointMode): IngestRun {
  return {
    target: name,
    load,
    checkpoints: name === 'freshet' ? checkpoints : undefined,
    version: '',
    eventRows: 0,
    transactionRows: 0,
    insertSeconds: 0,
    flushSeconds: 0,
    endToEndSeconds: 0,
    eventsPerS: 0,
    serverCpuUsPerEvent: null,
    serverPeakRssMiB: null,
    verifySeconds: 0,
    verified: false,
    mismatches: [],
    loadAverage1m: [loadavg()[0], 0],
  };
}

/** Freshet without state checkpoints: DML stays durable through the change log; only the state checkpoints stop. */
export async function disableCheckpoints(o: ScenarioOptions, name: TargetName, target: RunningTarget): Promise<void> {
  const admin = await connect(target);
  try {
    await admin.query(`ALTER SYSTEM SET checkpoint_frequency = ${NO_CHECKPOINTS}`);
  } finally {
    await admin.end();
  }
  o.log(`  ${name}: state checkpoints disabled (checkpoint_frequency = ${NO_CHECKPOINTS})`);
}

async function runTarget(
  o: ScenarioOptions,
  name: TargetName,
  cfg: IngestPreset,
  checks: { sql: string; expect: string[] }[],
  load: 'insert' | 'copy',
  checkpoints: CheckpointMode,
): Promise<IngestRun> {
  const r = emptyRun(name, load, checkpoints);
  o.log(`starting ${name} and creating the pipeline (load: ${LOAD_TEXT[load]})…`);
  let started;
  try {
    started = await startPipelineTarget(name, o.profileDir);
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
    o.log(`  ${name}: UNAVAILABLE — ${(e as Error).message.split('\n').slice(0, 10).join('\n    ')}`);
    return r;
  }
  const { target, pipeline } = started;
  r.version = target.version;
  r.mode = pipeline.mode;
  r.fallbackReason = pipeline.fallbackReason;
  o.log(`  ${name}: ${target.version}; pipeline: ${PIPELINE_MODE_TEXT[pipeline.mode]}`);
  if (pipeline.fallbackReason) o.log(`  ${name}: NOTE — verbatim MVs rejected: ${pipeline.fallbackReason}`);
  try {
    if (name === 'freshet' && checkpoints === 'off') await disableCheckpoints(o, name, target);
    const pid = target.serverPid();
    const ckpt0 = await checkpointsTaken(target);
    const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
    const t0 = performance.now();
    const ins = await loadEvents(load, target, {
      from: 0,
      to: cfg.events,
      users: cfg.users,
      batchRows: cfg.batchRows,
      connections: cfg.loadConnections,
      onProgress: (done) => {
        const s = (performance.now() - t0) / 1000;
        o.progress.update(`${name} (${load}): ${done.toLocaleString('en-US')} / ${cfg.events.toLocaleString('en-US')} events, ${fmtQps(done / s)} events/s`, done / cfg.events);
      },
    });
    r.flushSeconds = await settle(target);
    r.endToEndSeconds = (performance.now() - t0) / 1000;
    const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
    const ckpt1 = await checkpointsTaken(target);
    r.checkpointsTaken = ckpt0 !== null && ckpt1 !== null ? ckpt1 - ckpt0 : null;
    r.eventRows = ins.eventRows;
    r.transactionRows = ins.transactionRows;
    r.insertSeconds = ins.seconds;
    r.eventsPerS = (ins.eventRows + ins.transactionRows) / r.endToEndSeconds;
    r.serverCpuUsPerEvent = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / cfg.events : null;
    r.loadAverage1m[1] = loadavg()[0];
    if (name === 'freshet' && pid !== null) r.serverPeakRssMiB = peakRssMiB(pid);
    o.progress.done(
      `  ${name} (${load}): ${cfg.events.toLocaleString('en-US')} events in ${r.endToEndSeconds.toFixed(1)} s end to end ` +
        `(inserts ${ins.seconds.toFixed(1)} s, FLUSH ${r.flushSeconds.toFixed(2)} s) = ${fmtQps(r.eventsPerS)} events/s` +
        (r.serverCpuUsPerEvent !== null ? `, server CPU ${r.serverCpuUsPerEvent.toFixed(1)} µs/event` : '') +
        (r.serverPeakRssMiB !== null ? `, peak RSS ${r.serverPeakRssMiB.toLocaleString('en-US')} MiB` : ''),
    );
    const v0 = performance.now();
    const client = await connect(target);
    try {
      for (const c of checks) {
        const got = (await client.query({ text: c.sql, rowMode: 'array' })).rows[0].map((x: unknown) => String(x));
        if (got.join('|') !== c.expect.join('|')) r.mismatches.push(`${c.sql}: got ${got.join(', ')}, expected ${c.expect.join(', ')}`);
      }
    } finally {
      await client.end();
    }
    r.verifySeconds = (performance.now() - v0) / 1000;
    r.verified = r.mismatches.length === 0;
    o.log(`  ${name}: verification ${r.verified ? 'passed' : `FAILED: ${r.mismatches.join('; ')}`} (${r.verifySeconds.toFixed(2)} s)`);
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
    o.log(`  ${name}: FAILED — ${r.failure}\n${target.logTail()}`);
  } finally {
    await target.stop().catch(() => {});
  }
  return r;
}

/** Runs bench/stream-agg.ts in its own process and reads its median line. */
async function runStreamAgg(o: ScenarioOptions, rows: number): Promise<StreamAggFigure | null> {
  o.log(`in-engine GROUP BY (bench/stream-agg.ts, ${rows.toLocaleString('en-US')} rows, 10,000 keys, 3 runs)…`);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(o.repoRoot, 'bench/stream-agg.ts'), '--rows', String(rows)], {
      cwd: o.repoRoot,
      maxBuffer: 1 << 20,
    });
    const m = /median: ([\d,]+) rows\/s, ([\d,]+) rows per CPU-second/.exec(stdout);
    const num = (s: string | undefined) => (s ? Number(s.replace(/,/g, '')) : null);
    const fig = { rows, rowsPerS: num(m?.[1]), rowsPerCpuS: num(m?.[2]), output: stdout.trim() };
    o.log(`  ${stdout.trim().split('\n').join('\n  ')}`);
    return fig;
  } catch (e) {
    o.log(`  stream-agg failed: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

function notesFor(runs: IngestRun[], machine: MachineInfo): string[] {
  const notes: string[] = [];
  notes.push(
    `This machine has ${machine.cores} cores, shared by the load generator (one Node process) and the server; ` +
      `Freshet runs its SQL front end, storage and stream engine on one thread (heap limit raised to ${FRESHET_HEAP_MB} MB: tables and MV state are in memory).`,
  );
  for (const r of runs) {
    if (r.mode === 'no-temporal-filter')
      notes.push(
        `${r.target}: the seed MVs' temporal filters (\`WHERE … > NOW() - INTERVAL …\`) are not supported yet (${r.fallbackReason}); measured WITHOUT them. ` +
          'Every event is timestamped now, so the MVs hold the same rows as the verbatim ones would during the run; the scenario tries the verbatim MVs first and will measure them once they are accepted.',
      );
    const [a, b] = r.loadAverage1m;
    notes.push(`${r.target}: 1-minute load average ${a.toFixed(1)} before, ${b.toFixed(1)} after${Math.max(a, b) > machine.cores ? ' — other work was running; absolute figures are depressed' : ''}.`);
  }
  notes.push(
    'Events/s end to end = (user_events rows + transactions rows) / time from the first INSERT to the return of FLUSH (Freshet) or the last commit (PostgreSQL). ' +
      'Each batch is one statement per table — a prepared multi-row INSERT, or COPY … FROM STDIN with `--load copy` — committed (durably) before its connection sends the next.',
  );
  if (runs.some((r) => r.load === 'datagen'))
    notes.push(
      'datagen: user_events is a datagen source inside Freshet (bench/scenarios/ingest-datagen.ts) read by the seed MVs verbatim; no client, no transactions. ' +
        'Timed from CREATE of the MVs until user_session_features has read every event (rw_mv_freshness.rows_in) and FLUSH returns. Datagen strings are random, so the FILTERed click/view counts are 0; ' +
        'the check is on what is known: every user present in both features, per-user DISTINCT items computed.',
    );
  notes.push(
    'PostgreSQL maintains no features while ingesting: its views compute them at read time (its "verify" time is one full computation of each view). The ratio shows what keeping three features incrementally up to date costs Freshet relative to plain durable ingestion in PostgreSQL.',
  );
  return notes;
}

/** "insert", or "insert, no checkpoints" for a Freshet run without them. */
function loadLabel(x: IngestRun): string {
  return `${x.load ?? 'insert'}${x.checkpoints === 'off' ? ', no checkpoints' : ''}`;
}

/** " (N taken: one per X s)": how often checkpoints really came (the setting counts barriers, which come late under load). */
export function checkpointCadence(r: Pick<IngestRun, 'checkpointsTaken' | 'endToEndSeconds'>): string {
  const n = r.checkpointsTaken;
  if (n === null || n === undefined) return '';
  return n > 0 ? ` (${n} taken: one per ${(r.endToEndSeconds / n).toFixed(2)} s)` : ' (none taken)';
}

/** One mode's runs of the checkpoint-overhead pair: medians and the spread of events/s (%). */
interface ModeFigures {
  runs: IngestRun[];
  eventsPerS: number;
  spreadPct: number;
  cpuUsPerEvent: number | null;
  checkpointsTaken: number | null;
  endToEndSeconds: number;
}

function modeFigures(runs: IngestRun[]): ModeFigures {
  const cpu = runs.map((x) => x.serverCpuUsPerEvent).filter((x): x is number => x !== null);
  const taken = runs.map((x) => x.checkpointsTaken).filter((x): x is number => x !== null && x !== undefined);
  return {
    runs,
    eventsPerS: median(runs.map((x) => x.eventsPerS)),
    spreadPct: spreadPct(runs.map((x) => x.eventsPerS)),
    cpuUsPerEvent: cpu.length > 0 ? median(cpu) : null,
    checkpointsTaken: taken.length > 0 ? Math.round(median(taken)) : null,
    endToEndSeconds: median(runs.map((x) => x.endToEndSeconds)),
  };
}

/**
 * Issue 4: how much slower ingest runs with 1-second checkpoints than without, per load
 * method, from the medians of the repeated pair (`--repeats`); `pairs` are the overheads
 * of each pair run back to back, for their range.
 */
export function checkpointOverheads(runs: IngestRun[]): { load: string; on: ModeFigures; off: ModeFigures; slower: number; pairs: number[] }[] {
  const out: { load: string; on: ModeFigures; off: ModeFigures; slower: number; pairs: number[] }[] = [];
  const f = runs.filter((x) => !x.failure && x.target === 'freshet');
  for (const load of new Set(f.map((x) => x.load ?? 'insert'))) {
    const of = f.filter((x) => (x.load ?? 'insert') === load);
    const onRuns = of.filter((x) => x.checkpoints !== 'off');
    const offRuns = of.filter((x) => x.checkpoints === 'off');
    if (onRuns.length === 0 || offRuns.length === 0) continue;
    const on = modeFigures(onRuns);
    const off = modeFigures(offRuns);
    const pairs = onRuns.slice(0, offRuns.length).map((x, i) => 1 - x.eventsPerS / offRuns[i].eventsPerS);
    out.push({ load, on, off, slower: 1 - on.eventsPerS / off.eventsPerS, pairs });
  }
  return out;
}


export function renderIngest(r: IngestResult): { markdown: string; summary: string } {
  const m = r.machine;
  const c = r.config;
  const out: string[] = [];
  out.push(`# ingest — ${r.date}`, '');
  out.push(
    `Scale **${r.scale}**: ${c.events.toLocaleString('en-US')} events (every 10th a purchase into \`transactions\`, the rest into \`user_events\`) ` +
      `over ${c.users.toLocaleString('en-US')} users; ${c.batchRows}-event batches (one prepared multi-row INSERT per table), ${c.loadConnections} connections.`,
    '',
  );
  out.push(
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
  );
  out.push('## Results', '');
  out.push(
    markdownTable(
      ['target', 'load', 'pipeline', 'events/s end to end', 'inserts s', 'FLUSH s', 'end to end s', 'server CPU µs/event', 'peak RSS MiB', 'verified', 'verify s'],
      r.runs.map((x) =>
        x.failure
          ? [x.target, loadLabel(x), x.mode ?? '', 'FAILED', '', '', '', '', '', '', x.failure]
          : [
              x.target,
              loadLabel(x),
              x.mode ?? '',
              `**${fmtQps(x.eventsPerS)}**`,
              x.insertSeconds.toFixed(1),
              x.flushSeconds.toFixed(2),
              x.endToEndSeconds.toFixed(1),
              x.serverCpuUsPerEvent === null ? 'n/a' : x.serverCpuUsPerEvent.toFixed(1),
              x.serverPeakRssMiB === null ? 'n/a' : x.serverPeakRssMiB.toLocaleString('en-US'),
              x.verified ? 'yes' : `**NO**: ${x.mismatches.join('; ')}`,
              x.verifySeconds.toFixed(2),
            ],
      ),
    ),
    '',
  );
  // The goal is judged on Freshet's best load method; ratios compare like with like.
  const ok = r.runs.filter((x) => !x.failure);
  // Judged with checkpoints on, as `freshet start` runs.
  const f = ok.filter((x) => x.target === 'freshet' && x.checkpoints !== 'off').sort((a, b) => b.eventsPerS - a.eventsPerS)[0];
  const p = f && ok.find((x) => x.target === 'postgres' && (x.load ?? 'insert') === (f.load ?? 'insert'));
  const goals: string[] = [];
  if (f)
    goals.push(
      `- Freshet end to end: **${fmtQps(f.eventsPerS)} events/s** (${f.load ?? 'insert'}) — goal ≥ ${fmtQps(INGEST_GOALS.eventsPerS)}: ${f.eventsPerS >= INGEST_GOALS.eventsPerS ? 'met' : '**missed**'}; pipeline: ${PIPELINE_MODE_TEXT[f.mode!]}.`,
    );
  for (const c of checkpointOverheads(ok)) {
    const n = c.on.runs.length;
    const of = n > 1 ? ` (medians of ${n} interleaved pairs; events/s spread ${c.on.spreadPct.toFixed(0)}% and ${c.off.spreadPct.toFixed(0)}%${c.on.spreadPct > NOISY_SPREAD_PCT || c.off.spreadPct > NOISY_SPREAD_PCT ? ': **noisy**' : ''})` : '';
    const range = c.pairs.length > 1 ? `; pairs ${c.pairs.map((x) => `${(x * 100).toFixed(1)}%`).join(', ')}` : '';
    goals.push(
      `- Checkpoint overhead (issue 4), ${c.load}${of}: ${fmtQps(c.on.eventsPerS)} events/s with 1-second checkpoints${checkpointCadence(c.on)} vs ${fmtQps(c.off.eventsPerS)} without = **${(c.slower * 100).toFixed(1)}% slower** ` +
        `(server CPU ${c.on.cpuUsPerEvent?.toFixed(1) ?? 'n/a'} vs ${c.off.cpuUsPerEvent?.toFixed(1) ?? 'n/a'} µs/event${range}) — goal ≤ 10%: ${c.slower <= 0.1 ? 'met' : '**missed**'}.`,
    );
  }
  for (const fr of ok.filter((x) => x.target === 'freshet' && x.checkpoints !== 'off')) {
    const pr = ok.find((x) => x.target === 'postgres' && (x.load ?? 'insert') === (fr.load ?? 'insert'));
    if (pr) goals.push(`- Freshet / PostgreSQL (plain tables + views), ${fr.load ?? 'insert'}: ${fmtRatio(fr.eventsPerS / pr.eventsPerS)}.`);
  }
  const sa = r.streamAgg;
  if (sa?.rowsPerS)
    goals.push(
      `- In-engine GROUP BY count/sum over 10,000 keys (bench/stream-agg.ts, ${sa.rows.toLocaleString('en-US')} rows): **${fmtQps(sa.rowsPerS)} rows/s** ` +
        `(${fmtQps(sa.rowsPerCpuS ?? 0)} per CPU-second) — goal ≥ ${fmtQps(INGEST_GOALS.groupByRowsPerS)}: ${sa.rowsPerS >= INGEST_GOALS.groupByRowsPerS ? 'met' : '**missed**'}.`,
    );
  if (goals.length) out.push('## Goals', '', ...goals, '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  const summary =
    `summary: ingest ${c.events.toLocaleString('en-US')} events / ${c.users.toLocaleString('en-US')} users — ` +
    r.runs.map((x) => (x.failure ? `${x.target} FAILED` : `${x.target}/${loadLabel(x)} ${fmtQps(x.eventsPerS)} events/s${x.verified ? '' : ' (UNVERIFIED)'} [${x.mode}]`)).join(', ') +
    (f ? ` | goal ≥ 300,000: ${f.eventsPerS >= INGEST_GOALS.eventsPerS ? 'met' : 'MISSED'}` : '') +
    (f && p ? ` | ratio ${fmtRatio(f.eventsPerS / p.eventsPerS)}` : '') +
    (sa?.rowsPerS ? ` | in-engine GROUP BY ${fmtQps(sa.rowsPerS)} rows/s (goal ≥ 1,000,000: ${sa.rowsPerS >= INGEST_GOALS.groupByRowsPerS ? 'met' : 'MISSED'})` : '');
  return { markdown: out.join('\n'), summary };
}

export function ingestChart(r: IngestResult): string {
  const ok = r.runs.filter((x) => !x.failure);
  return barChart({
    title: `ingest: events/s end to end, ${r.config.events.toLocaleString('en-US')} events (goal ≥ 300,000)`,
    yLabel: 'events/s',
    series: ok.map((x) => ({ name: `${x.target} ${loadLabel(x)} (${x.mode})`, color: x.target === 'freshet' ? (x.checkpoints === 'off' ? '#fdae6b' : '#e6550d') : '#3182bd' })),
    groups: [{ label: 'end to end', values: ok.map((x) => ({ value: x.eventsPerS })) }],
    format: fmtQps,
    labels: true,
  });
}

function output(r: IngestResult): ScenarioOutput {
  const { markdown, summary } = renderIngest(r);
  return { scenario: 'ingest', scale: r.scale, date: r.date, data: r, markdown, summary, charts: [{ suffix: 'rate', title: 'events/s', svg: ingestChart(r) }] };
}
