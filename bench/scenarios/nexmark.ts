/**
 * Nexmark (issue 7, scenario 4): each query q0–q22 as a blackhole sink (or a materialized
 * view) over bounded, unthrottled nexmark sources, timed from the CREATE until the job has
 * consumed every event and passed all of it on. Reported as events/s on the wall clock and
 * events per CPU-second of the server process, next to RisingWave's and Flink's published
 * per-core figures.
 *
 * Why per CPU-second: Freshet runs the whole stream engine on one thread (one core), but
 * the process also has V8's GC and libuv threads; dividing by the CPU time it actually used
 * (from /proc) is the honest "per core" figure, and it is far less disturbed than the wall
 * clock by other work on a shared machine.
 *
 * Form (NEXMARK_FORM): `sink` (default) runs each query as a blackhole sink, as RisingWave's
 * published figures were measured; `mv` as a materialized view (state and serving on top).
 *
 * Completion: rw_catalog.rw_sink_freshness / rw_mv_freshness count the rows the job read
 * (rows_in) and the age of the oldest change it does not show yet (lag_ms). It is done when rows_in
 * has reached the rows its sources hold (or stopped moving) and lag_ms is 0; the end time
 * is the MV's last change by the server's clock, the CPU time that of the first poll that
 * saw it done (polls every 100 ms).
 */
import pg from 'pg';
import { loadavg } from 'node:os';
import { machineInfo, machineLine, peakRssMiB, processTreeCpuSeconds, type MachineInfo } from '../lib/machine';
import {
  createSourceSql,
  FLINK_PER_CORE,
  NEXMARK_QUERIES,
  NEXMARK_TARGET_RATIO,
  RISINGWAVE_PER_CORE,
  rowsOfType,
  type NexmarkForm,
  type NexmarkQuery,
  type NexmarkTable,
  statementFor,
} from '../lib/nexmark-queries';
import { connect } from '../lib/pipeline-run';
import { fmtQps, fmtRatio, markdownTable } from '../lib/report';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { median, NOISY_SPREAD_PCT, spreadPct } from '../lib/stats';
import { barChart } from '../lib/svg';
import { startTarget, type RunningTarget } from '../lib/targets';

const PRESETS: Record<string, { events: number; timeoutS: number }> = {
  quick: { events: 1_000_000, timeoutS: 120 },
  small: { events: 1_000_000, timeoutS: 120 },
  full: { events: 10_000_000, timeoutS: 1200 },
};
const POLL_MS = 100;
/** rows_in unchanged this long (lag 0) also means done: a source whose reader shares one scan. */
const STALL_MS = 1500;
const HEAP_MB = 16384;

export interface NexmarkRun {
  wallS: number;
  cpuS: number | null;
  eventsPerS: number;
  eventsPerCpuS: number | null;
  rowsIn: number;
  mvRows: number | null;
  loadAverage1m: number;
  /** Set when the run hit the time limit: the figures cover the events processed until then. */
  partialFraction?: number;
}

export interface NexmarkQueryResult {
  id: string;
  status: 'ok' | 'error' | 'skipped';
  /** SQLSTATE and message of a rejected CREATE, or the reason for a skip / timeout. */
  error?: { code: string; message: string };
  runs: NexmarkRun[];
  eventsPerS: number | null;
  perCore: number | null;
  spreadPct: number | null;
  risingwavePerCore: number | null;
  flinkPerCore: number | null;
  ratioToRisingwave: number | null;
  targetMet: boolean | null;
}

export interface NexmarkResult {
  scenario: 'nexmark';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: { events: number; repeats: number; queries: string[]; form?: NexmarkForm; barrierIntervalMs: string; peakRssMiB: number | null };
  version: string;
  queries: NexmarkQueryResult[];
  notes: string[];
}

export const nexmark: Scenario = {
  name: 'nexmark',
  description: 'Nexmark q0–q22 as blackhole sinks (NEXMARK_FORM=mv: MVs) over bounded nexmark sources: events/s per core vs RisingWave and Flink',
  run: async (o) => output(await run(o)),
};

/** NEXMARK_FORM=mv runs the queries as materialized views instead of blackhole sinks. */
function selectedForm(): NexmarkForm {
  const f = (process.env.NEXMARK_FORM ?? 'sink').trim().toLowerCase();
  if (f !== 'sink' && f !== 'mv') throw new Error(`NEXMARK_FORM: expected sink or mv, got ${f}`);
  return f;
}

/** NEXMARK_QUERIES=q0,q5 runs a subset (e.g. for a CPU profile of the slow ones). */
function selectedQueries(): NexmarkQuery[] {
  const only = process.env.NEXMARK_QUERIES?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only) return NEXMARK_QUERIES;
  for (const id of only) if (!NEXMARK_QUERIES.some((q) => q.id === id)) throw new Error(`NEXMARK_QUERIES: unknown query ${id}`);
  return NEXMARK_QUERIES.filter((q) => only.includes(q.id));
}

interface Server {
  target: RunningTarget;
  client: pg.Client;
}

async function startServer(o: ScenarioOptions, events: number): Promise<Server> {
  const target = await startTarget('freshet', { sharedBuffers: '0', freshetHeapMb: HEAP_MB, freshetProfileDir: o.profileDir });
  const client = await connect(target);
  for (const t of ['person', 'auction', 'bid'] as const) await client.query(createSourceSql(t, events));
  return { target, client };
}

async function run(o: ScenarioOptions): Promise<NexmarkResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const preset = PRESETS[o.scale] ?? PRESETS.quick;
  const events = o.pipeline.events ?? preset.events;
  const queries = selectedQueries();
  const form = selectedForm();
  const repeats = o.repeats;
  o.log(machineLine(machine));
  o.log(
    `plan: ${queries.length} queries × ${repeats} repeats, ${events.toLocaleString('en-US')} events each (nexmark sources, unthrottled, 1 split), ` +
      (form === 'sink' ? 'each query a blackhole sink (as RisingWave measures)' : 'each query a materialized view'),
  );

  // A fresh server (and fresh sources) for every query run: state left behind by one query
  // (dropped MVs' state in the store, a heap grown by q20's join) must not slow or break the next.
  let version = '?';
  let barrierIntervalMs = '?';
  const results = new Map<string, NexmarkQueryResult>(queries.map((q) => [q.id, emptyResult(q)]));
  let peakRss: number | null = null;
  // Repeat the whole list rather than each query back to back, so a burst of other work
  // on the machine lands on different queries in different rounds.
  for (let rep = 1; rep <= repeats; rep++) {
    for (const q of queries) {
      const r = results.get(q.id)!;
      // A query that failed or hit the time limit is not run again.
      if (q.skip || r.status !== 'ok' || r.runs.some((x) => x.partialFraction !== undefined)) continue;
      const label = `${q.id} (round ${rep}/${repeats})`;
      const server = await startServer(o, events);
      if (version === '?') {
        version = server.target.version;
        barrierIntervalMs = String(
          (await server.client.query({ text: 'SELECT barrier_interval_ms FROM rw_catalog.rw_checkpoint_status', rowMode: 'array' }).catch(() => ({ rows: [['?']] }))).rows[0]?.[0],
        );
        o.log(`freshet: ${version}; barrier_interval_ms ${barrierIntervalMs}`);
      }
      try {
        for (const s of q.setup ?? []) await server.client.query(s);
        const outcome = await runQuery(o, server, q, form, events, preset.timeoutS, label);
        if ('error' in outcome) {
          r.status = 'error';
          r.error = outcome.error;
          o.progress.done(`  ${label}: REJECTED — ${outcome.error.code}: ${outcome.error.message}`);
        } else {
          r.runs.push(outcome);
          o.progress.done(
            `  ${label}: ${outcome.partialFraction !== undefined ? `TIME LIMIT at ${(outcome.partialFraction * 100).toFixed(0)}% of the events; ` : ''}${outcome.wallS.toFixed(2)} s, ${fmtQps(outcome.eventsPerS)} events/s, ` +
              (outcome.eventsPerCpuS === null ? '' : `${fmtQps(outcome.eventsPerCpuS)} events per CPU-s (CPU ${outcome.cpuS!.toFixed(2)} s), `) +
              `rows in ${outcome.rowsIn.toLocaleString('en-US')}, ${outcome.mvRows === null ? '' : `MV rows ${outcome.mvRows.toLocaleString('en-US')}, `}load ${outcome.loadAverage1m.toFixed(1)}`,
          );
        }
        const pid = server.target.serverPid();
        const rss = pid === null ? null : peakRssMiB(pid);
        if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss);
      } catch (e) {
        const err = e as Error & { code?: string };
        r.status = 'error';
        r.error = { code: err.code ?? 'XX000', message: err.message.split('\n')[0] };
        o.progress.done(`  ${label}: FAILED — ${r.error.code}: ${r.error.message}${err.code ? '' : `\n${server.target.logTail()}`}`);
      } finally {
        await server.client.end().catch(() => {});
        await server.target.stop().catch(() => {});
      }
    }
  }

  for (const r of results.values()) summarise(r);
  return {
    scenario: 'nexmark',
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: { events, repeats, queries: queries.map((q) => q.id), form, barrierIntervalMs, peakRssMiB: peakRss },
    version,
    queries: [...results.values()],
    notes: notesFor(machine, [...results.values()], form),
  };
}

export function emptyResult(q: NexmarkQuery): NexmarkQueryResult {
  return {
    id: q.id,
    status: q.skip ? 'skipped' : 'ok',
    error: q.skip ? { code: '—', message: q.skip } : undefined,
    runs: [],
    eventsPerS: null,
    perCore: null,
    spreadPct: null,
    risingwavePerCore: RISINGWAVE_PER_CORE[q.id] ?? null,
    flinkPerCore: FLINK_PER_CORE[q.id] ?? null,
    ratioToRisingwave: null,
    targetMet: null,
  };
}

interface Sample {
  at: number;
  cpu: number | null;
  rowsIn: number;
  lagMs: number;
  lastChangeMs: number | null;
  mvRows: number | null;
}

const FRESHNESS_SQL: Record<NexmarkForm, string> = {
  mv: `SELECT rows_in, lag_ms, source_changed_at, output_changed_at, row_count FROM rw_catalog.rw_mv_freshness WHERE name = $1`,
  sink: `SELECT rows_in, lag_ms, source_changed_at, output_changed_at, NULL FROM rw_catalog.rw_sink_freshness WHERE name = $1`,
};

/** `2026-11-22 00:00:26.665+00:00` → ms since the epoch. */
function parseTimestamptz(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const ms = Date.parse(s.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : null;
}

async function sample(server: Server, form: NexmarkForm, name: string, pid: number | null): Promise<Sample | null> {
  const r = await server.client.query({ text: FRESHNESS_SQL[form], values: [name], rowMode: 'array' });
  const row = r.rows[0];
  if (!row) return null;
  const changes = [parseTimestamptz(row[2]), parseTimestamptz(row[3])].filter((x): x is number => x !== null);
  return {
    at: Date.now(),
    cpu: pid === null ? null : processTreeCpuSeconds(pid),
    rowsIn: Number(row[0]),
    lagMs: Number(row[1]),
    lastChangeMs: changes.length ? Math.max(...changes) : null,
    mvRows: row[4] === null ? null : Number(row[4]),
  };
}

type Outcome = NexmarkRun | { error: { code: string; message: string } };

async function runQuery(o: ScenarioOptions, server: Server, q: NexmarkQuery, form: NexmarkForm, events: number, timeoutS: number, label: string): Promise<Outcome> {
  const name = `nexmark_${q.id}`;
  const expected = q.reads.reduce((n, t: NexmarkTable) => n + rowsOfType(t, events), 0);
  const pid = server.target.serverPid();
  const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
  const t0 = Date.now();
  try {
    await server.client.query(statementFor(q, form));
  } catch (e) {
    const err = e as Error & { code?: string };
    if (!err.code) throw e;
    return { error: { code: err.code, message: err.message.split('\n')[0] } };
  }
  let done: Sample | null = null;
  let last: Sample | null = null;
  let stableSince = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const s = await sample(server, form, name, pid);
    if (!s) return { error: { code: 'XX000', message: `${name} missing from rw_${form}_freshness` } };
    if (!last || s.rowsIn !== last.rowsIn || s.lagMs !== 0) {
      stableSince = s.at;
      done = s.lagMs === 0 ? s : null;
    } else if (!done) done = s;
    last = s;
    const elapsedS = (s.at - t0) / 1000;
    o.progress.update(`${label}: ${s.rowsIn.toLocaleString('en-US')} / ${expected.toLocaleString('en-US')} rows, ${elapsedS.toFixed(1)} s`, s.rowsIn / expected);
    if (done && (s.rowsIn >= expected || s.at - stableSince >= STALL_MS)) break;
    if (elapsedS > timeoutS) return figures(t0, cpu0, s, s, events, Math.min(1, s.rowsIn / expected));
  }
  return figures(t0, cpu0, done, last!, events);
}

/**
 * Rates from CREATE (t0, cpu0) to `done`; `partial` scales the events to the share of the
 * source rows read when the time limit cut the run short.
 */
function figures(t0: number, cpu0: number | null, done: Sample, last: Sample, allEvents: number, partial?: number): NexmarkRun {
  const events = partial === undefined ? allEvents : allEvents * partial;
  // The final figures: the MV's rows as of the end (one more poll after the last change).
  const end = done.lastChangeMs !== null && done.lastChangeMs >= t0 ? Math.min(done.lastChangeMs, done.at) : done.at;
  const wallS = Math.max(1e-3, (end - t0) / 1000);
  const cpuS = cpu0 !== null && done.cpu !== null ? Math.max(0.01, done.cpu - cpu0) : null;
  return {
    wallS,
    cpuS,
    eventsPerS: events / wallS,
    eventsPerCpuS: cpuS === null ? null : events / cpuS,
    rowsIn: done.rowsIn,
    mvRows: last.mvRows,
    loadAverage1m: loadavg()[0],
    ...(partial === undefined ? {} : { partialFraction: partial }),
  };
}

export function summarise(r: NexmarkQueryResult): void {
  if (!r.runs.length) return;
  r.eventsPerS = median(r.runs.map((x) => x.eventsPerS));
  const perCore = r.runs.map((x) => x.eventsPerCpuS).filter((x): x is number => x !== null);
  r.perCore = perCore.length ? median(perCore) : null;
  r.spreadPct = perCore.length ? spreadPct(perCore) : null;
  if (r.perCore !== null && r.risingwavePerCore !== null) {
    r.ratioToRisingwave = r.perCore / r.risingwavePerCore;
    r.targetMet = r.ratioToRisingwave >= NEXMARK_TARGET_RATIO;
  }
}

export function notesFor(machine: MachineInfo, rs: NexmarkQueryResult[], form: NexmarkForm = 'sink'): string[] {
  const loads = rs.flatMap((r) => r.runs.map((x) => x.loadAverage1m));
  const noisy = rs.filter((r) => (r.spreadPct ?? 0) > NOISY_SPREAD_PCT).map((r) => r.id);
  const notes = [
    `Freshet runs its stream engine on one thread, so one core does the stream processing; "per core" is events divided by the CPU seconds the server process used (user + system, all its threads incl. GC) from the CREATE to done, read from /proc.`,
    form === 'sink'
      ? `Each query runs as \`CREATE SINK … WITH (connector = 'blackhole', type = 'append-only', force_append_only = 'true')\`, as in RisingWave's own Nexmark scripts (ci/scripts/sql/nexmark), so the comparison is like for like; NEXMARK_FORM=mv materializes the results instead.`
      : `Each query runs as a materialized view (its results kept in state and served), more work than RisingWave's published runs, which sink into blackhole.`,
    `Events are the nexmark event numbers 0..N−1 over all three types (92% bids, 6% auctions, 2% persons), as Flink's "Events Num" and RisingWave's source throughput count them; each query's typed sources (one reader per source reference) generate that whole event space.`,
    `Wall-clock events/s are from the CREATE to the job's last change, with a polling client on the same machine.`,
  ];
  const noBids = NEXMARK_QUERIES.filter((q) => !q.skip && !q.reads.includes('bid') && rs.some((r) => r.id === q.id && r.runs.length)).map((q) => q.id);
  if (noBids.length)
    notes.push(
      `${noBids.join(', ')} read only the person and auction sources: a typed nexmark source does not generate the bids it skips (92% of the events), so these figures flatter Freshet against a system reading one combined event stream.`,
    );
  if (loads.length)
    notes.push(
      `This machine has ${machine.cores} cores shared with other work: 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the runs` +
        `${Math.max(...loads) > machine.cores ? ' — the wall-clock figures are depressed; per-CPU-second figures are much less affected (but caches and frequency are shared)' : ''}.`,
    );
  if (noisy.length) notes.push(`Spread (max − min) / median above ${NOISY_SPREAD_PCT}% — treat as noisy: ${noisy.join(', ')}.`);
  notes.push(
    `RisingWave per core: docs.risingwave.com, "RisingWave benchmarks for stream processing" (8 vCPU). Flink 1.13 per core: github.com/nexmark/nexmark README, "Nexmark Benchmark Result" (100M events, 8 × 1-slot TaskManagers). Target: ≥ ${NEXMARK_TARGET_RATIO}× RisingWave's per-core figure on every query both support.`,
  );
  return notes;
}


const fmtK = (v: number | null) => (v === null ? '—' : v >= 10_000 ? `${Math.round(v / 1000).toLocaleString('en-US')}K` : v >= 1000 ? `${(v / 1000).toFixed(1)}K` : String(Math.round(v)));

export function renderNexmark(r: NexmarkResult): { markdown: string; summary: string } {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# nexmark — ${r.date}`, '');
  out.push(
    `Scale **${r.scale}**: ${r.config.events.toLocaleString('en-US')} events per query, ${r.config.repeats} rounds (median reported, spread = (max − min) / median of the per-core figure). ` +
      `Freshet ${r.version}, barrier_interval_ms ${r.config.barrierIntervalMs}, peak RSS ${r.config.peakRssMiB ?? '?'} MiB.`,
    '',
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
  );
  out.push(
    markdownTable(
      ['query', 'Freshet events/s (wall)', 'Freshet events/s per core', 'spread', 'RisingWave per core', 'Flink 1.13 per core', 'Freshet / RW', `target ≥ ${NEXMARK_TARGET_RATIO}× RW`],
      r.queries.map((q) => {
        const status =
          q.status === 'ok'
            ? q.targetMet === null
              ? 'n/a (no RW figure)'
              : q.targetMet
                ? 'met'
                : `**missed** (${fmtRatio(q.ratioToRisingwave! / NEXMARK_TARGET_RATIO)} of target)`
            : q.status === 'skipped'
              ? `not run: ${q.error!.message}`
              : `**rejected** ${q.error!.code}: ${q.error!.message.replace(/\|/g, '\\|')}`;
        const partial = q.runs.find((x) => x.partialFraction !== undefined)?.partialFraction;
        const limit = partial === undefined ? '' : ` — time limit: ${(partial * 100).toFixed(0)}% of the events in ${q.runs[0].wallS.toFixed(0)} s, one round`;
        return [
          q.id,
          q.eventsPerS === null ? '—' : fmtK(q.eventsPerS),
          q.perCore === null ? '—' : `**${fmtK(q.perCore)}**`,
          q.spreadPct === null ? '—' : `${q.spreadPct.toFixed(0)}%`,
          fmtK(q.risingwavePerCore),
          fmtK(q.flinkPerCore),
          q.ratioToRisingwave === null ? '—' : fmtRatio(q.ratioToRisingwave),
          status + limit,
        ];
      }),
    ),
    '',
  );
  const both = r.queries.filter((q) => q.risingwavePerCore !== null);
  const met = both.filter((q) => q.targetMet).length;
  out.push(`Target met on ${met} of ${both.length} queries with a RisingWave figure.`, '');
  out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  const summary =
    `summary: nexmark ${r.config.events.toLocaleString('en-US')} events — ` +
    r.queries
      .filter((q) => q.status !== 'skipped')
      .map((q) => `${q.id} ${q.perCore === null ? q.status.toUpperCase() : `${fmtK(q.perCore)}/core${q.ratioToRisingwave === null ? '' : ` (${fmtRatio(q.ratioToRisingwave)} RW)`}`}`)
      .join(', ') +
    ` | target ≥ 3× RW met on ${met}/${both.length}`;
  return { markdown: out.join('\n'), summary };
}

export function nexmarkChart(r: NexmarkResult): string {
  const shown = r.queries.filter((q) => q.perCore !== null || q.risingwavePerCore !== null || q.flinkPerCore !== null);
  // In thousands: the shared chart's log axis starts at 1, so the bars fill the plot.
  const k = (v: number | undefined) => (v === undefined ? undefined : v / 1000);
  const bar = (v: number | null, lo?: number, hi?: number) => (v === null ? null : { value: v / 1000, lo: k(lo), hi: k(hi) });
  return barChart({
    title: `nexmark: events/s per core, ${r.config.events.toLocaleString('en-US')} events (Freshet: median of ${r.config.repeats}, whiskers min–max; log scale)`,
    yLabel: 'thousand events/s per core',
    series: [
      { name: 'Freshet (per CPU-second)', color: '#e6550d' },
      { name: 'RisingWave (published, 8 vCPU)', color: '#3182bd' },
      { name: 'Flink 1.13 (nexmark README)', color: '#31a354' },
    ],
    groups: shown.map((q) => {
      const pc = q.runs.map((x) => x.eventsPerCpuS).filter((x): x is number => x !== null);
      return {
        label: q.id,
        values: [
          bar(q.perCore, pc.length ? Math.min(...pc) : undefined, pc.length ? Math.max(...pc) : undefined),
          bar(q.risingwavePerCore),
          bar(q.flinkPerCore),
        ],
      };
    }),
    log: true,
    format: (v) => String(Number(v.toPrecision(3))),
  });
}

export function output(r: NexmarkResult): ScenarioOutput {
  const { markdown, summary } = renderNexmark(r);
  // A NEXMARK_QUERIES subset names its queries in the file name, so it never overwrites the day's whole-suite files.
  const subset = r.config.queries.length < NEXMARK_QUERIES.length ? `-${r.config.queries.join('-')}` : '';
  return { scenario: 'nexmark', scale: r.scale + subset, date: r.date, data: r, markdown, summary, charts: [{ suffix: 'per-core', title: 'events/s per core', svg: nexmarkChart(r) }] };
}
