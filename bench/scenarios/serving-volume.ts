/**
 * serving-volume (issue 7): "≥ 50× faster than the naive query-time aggregation in
 * PostgreSQL", measured at the data volume seed 004 speaks of. The seed's naive query runs
 * "on a table with millions of rows per user over a 24-hour window … 50–200 ms for a single
 * user" (PostgreSQL: p50 85 ms / p99 340 ms "with equivalent data volume"); the serving
 * scenario's presets give hot users only 1,000–10,000 (quick) or 1,000–20,000 (full)
 * transactions, where PostgreSQL answers in under a millisecond.
 *
 * Per volume level (rows per user in the 24 h window; default 1k, 10k, 100k, 1M, a few
 * users each: lib/serving-volume-model.ts) both systems get the same transactions by COPY:
 * PostgreSQL into `transactions` with the naive query's best index (as the serving scenario),
 * Freshet into `transactions` feeding seed 004's `user_risk_features` MV (verbatim) through
 * the streaming pipeline. Each level × connection count is measured for PostgreSQL's naive
 * query (the article's SQL verbatim) and Freshet's MV lookup of the same users, extended
 * protocol, closed loop, interleaved; the report gives p50/p99/QPS and the ratios per volume,
 * the first volume at which 50× is reached, and charts against rows per user (log scale).
 */
import { cpus } from 'node:os';
import { runCell, type Measurement } from '../lib/loadgen';
import type { QuerySpec } from '../lib/loadgen-protocol';
import { copyRows } from '../lib/copy-rows';
import { lineChart, shortNumber, type LineSeries } from '../lib/line-chart';
import { machineInfo, machineLine, processTreeCpuSeconds, type MachineInfo } from '../lib/machine';
import { connect, timestampNow } from '../lib/pipeline-run';
import { fmtMs, fmtQps, summaryCells, markdownTable } from '../lib/report';
import type { Spread } from '../lib/run-conditions';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { NAIVE_RISK_SQL, SOURCE_TABLES_SQL, TXN_COLUMNS, transactionRow, userRiskSelect } from '../lib/serving-model';
import { firstVolumeReaching, volumePlan, volumeTransactionCount, volumeUserSequence, volumeUsers, type VolumePlan } from '../lib/serving-volume-model';
import { median, summarizeRuns, type CellSummary } from '../lib/stats';
import { startTarget, type RunningTarget } from '../lib/targets';
import { exec, memoryLimitSupported, quiesce, servingSemiSpaceMb, SERVING_GOALS } from './serving';

export type VolumeSystem = 'freshet' | 'postgres-naive';
const SYSTEMS: readonly VolumeSystem[] = ['freshet', 'postgres-naive'];

export const VOLUME_SYSTEM_TEXT: Record<VolumeSystem, string> = {
  freshet: "Freshet: `SELECT * FROM user_risk_features WHERE user_id = $1` on the seed's MV, fed the same transactions",
  'postgres-naive': "PostgreSQL 15: the article's query-time aggregation verbatim, over `transactions (user_id, event_time) INCLUDE (status, merchant_id, amount)`",
};

/** What seed 004 says about the naive query's data and speed (the report quotes it). */
export const SEED_NAIVE = { rowsPerUser: 'millions of rows per user over a 24-hour window', singleUserMs: '50–200 ms', pgP50Ms: 85, pgP99Ms: 340 } as const;

const LOOKUP: QuerySpec = { text: 'SELECT * FROM user_risk_features WHERE user_id = $1', params: ['key'], checkColumn: 'user_id', minRows: 1, maxRows: 1 };
const NAIVE: QuerySpec = { text: NAIVE_RISK_SQL, params: ['key'], checkColumn: 'user_id', minRows: 1, maxRows: 1 };

/**
 * A naive cell runs long enough for about this many queries (its p99 is then close to its
 * maximum: the report gives the count), between --duration and MAX_CELL_MS.
 */
const NAIVE_TARGET_QUERIES = 100;
const MAX_CELL_MS = 60_000;
const PG_COPY_BATCH = 50_000;
const FRESHET_COPY_BATCH = 10_000;

export interface VolumeCell {
  volume: number;
  system: VolumeSystem;
  connections: number;
  runs: Measurement[];
  summary: CellSummary | null;
  /** The cell's measured window and warm-up, ms (naive cells are sized from a probe). */
  durationMs: number;
  warmupMs: number;
  failure?: string;
}

export interface VolumeRatio {
  volume: number;
  connections: number;
  /** Naive p50 / Freshet p50, naive p99 / Freshet p99, Freshet QPS / naive QPS. */
  p50: number;
  p99: number;
  qps: number;
}

export interface VolumeResult {
  scenario: 'serving-volume';
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: VolumePlan & { transactions: number; durationS: number; warmupS: number; repeats: number; connections: number[]; memoryLimit: string | null; systems: VolumeSystem[] };
  load: Record<string, { seconds: number; rowsPerS: number; settleSeconds: number }>;
  /** Per level: one naive query on one connection before measuring, ms (sizes the naive cells). */
  probes: { volume: number; naiveMs: number }[];
  checks: { volume: number; user: number; freshet: string; postgres: string; equal: boolean }[];
  versions: Record<string, string>;
  cells: VolumeCell[];
  ratios: VolumeRatio[];
  /** The smallest volume with p50 and QPS both ≥ 50× at every connection count (null: none measured). */
  reached: number | null;
  notes: string[];
}

export const servingVolume: Scenario = {
  name: 'serving-volume',
  description: "issue 7's ≥ 50× vs naive aggregation at seed 004's volume: rows per user 1k…1M (--sizes), PostgreSQL's naive query vs Freshet's MV lookup",
  defaults: () => ({ durationS: 3, warmupS: 1, repeats: 1, connections: [1, 8] }),
  run: async (o) => output(await run(o)),
};

async function run(o: ScenarioOptions): Promise<VolumeResult> {
  const startedAt = new Date();
  const plan = volumePlan(o.pipeline.sizes, o.pipeline.users);
  const transactions = volumeTransactionCount(plan);
  const memoryLimit = memoryLimitSupported(o.repoRoot) ? (process.env.SERVING_MEMORY_LIMIT ?? '32MiB') : null;
  const semiSpaceMb = servingSemiSpaceMb();
  const systems = SYSTEMS.filter((s) => o.targets.includes(s === 'freshet' ? 'freshet' : 'postgres'));
  const r: VolumeResult = {
    scenario: 'serving-volume',
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine: machineInfo(o.repoRoot),
    config: { ...plan, transactions, durationS: o.durationS, warmupS: o.warmupS, repeats: o.repeats, connections: o.connections, memoryLimit, systems },
    load: {},
    probes: [],
    checks: [],
    versions: {},
    cells: [],
    ratios: [],
    reached: null,
    notes: [],
  };
  o.log(machineLine(r.machine));
  o.log(
    `plan: ${plan.usersPerVolume} users at each of ${plan.volumes.map((v) => v.toLocaleString('en-US')).join(' / ')} transactions in the 24 h window ` +
      `(${transactions.toLocaleString('en-US')} transactions) into ${o.targets.join(' and ')}`,
  );
  const users = volumeUserSequence(plan);
  const targets: Partial<Record<VolumeSystem, RunningTarget>> = {};
  try {
    for (const name of o.targets) {
      o.log(`starting ${name}…`);
      const t = await startTarget(name, {
        sharedBuffers: `${Math.max(256, Math.ceil((transactions * 200) / 2 ** 20))}MB`,
        freshetHeapMb: 16384,
        freshetProfileDir: o.profileDir,
        freshetArgs: name === 'freshet' && memoryLimit ? ['--memory-limit', memoryLimit] : undefined,
        // The young generation as in the serving scenario.
        freshetEnv: semiSpaceMb ? { FRESHET_SEMI_SPACE_MB: semiSpaceMb } : undefined,
      });
      targets[name === 'freshet' ? 'freshet' : 'postgres-naive'] = t;
      r.versions[name] = t.version;
      r.load[name] = await load(o, t, users);
    }
    if (targets.freshet && targets['postgres-naive']) r.checks = await check(targets.freshet, targets['postgres-naive'], plan);
    for (const c of r.checks) if (!c.equal) o.log(`  check user ${c.user} (${c.volume.toLocaleString('en-US')} rows): MISMATCH freshet ${c.freshet} vs postgres ${c.postgres}`);
    if (r.checks.length) o.log(`  checks: ${r.checks.filter((c) => c.equal).length} of ${r.checks.length} sampled users agree (Freshet MV vs PostgreSQL naive query, count = volume)`);
    if (targets['postgres-naive']) r.probes = await probeNaive(targets['postgres-naive'], plan);
    r.cells = await measure(o, r, targets);
  } finally {
    for (const t of Object.values(targets)) await t?.stop().catch(() => {});
  }
  r.finishedAt = new Date().toISOString();
  r.ratios = ratiosFor(r);
  r.reached = firstVolumeReaching(
    plan.volumes.map((volume) => ({ volume, ratios: r.ratios.filter((x) => x.volume === volume).flatMap((x) => [x.p50, x.qps]) })),
    SERVING_GOALS.naiveSpeedup,
  );
  r.notes = notesFor(r);
  return r;
}

/** Freshet: table and MV first, then COPY (the MV follows every commit). PostgreSQL: COPY, then the index, VACUUM ANALYZE, prewarm. */
async function load(o: ScenarioOptions, t: RunningTarget, users: Int32Array): Promise<VolumeResult['load'][string]> {
  const freshet = t.name === 'freshet';
  await exec(t, [SOURCE_TABLES_SQL[0], ...(freshet ? [`CREATE MATERIALIZED VIEW user_risk_features AS\n${userRiskSelect()}`] : [])]);
  const total = users.length;
  const seconds = await copyRows(t, {
    table: 'transactions',
    columns: TXN_COLUMNS,
    total,
    row: (i) => transactionRow(i, users[i], timestampNow()),
    batchRows: freshet ? FRESHET_COPY_BATCH : PG_COPY_BATCH,
    connections: 2,
    onProgress: (n) => o.progress.update(`${t.name}: COPY ${n.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} transactions`, n / total),
  });
  const s0 = performance.now();
  if (freshet) {
    o.progress.update('freshet: FLUSH', 1);
    await exec(t, ['FLUSH']);
    await quiesce(o, t);
  } else {
    o.progress.update('postgres: index, VACUUM ANALYZE, prewarm', 1);
    await exec(t, [
      // The naive query's best index, as in the serving scenario: one index-only range scan per user.
      'CREATE INDEX transactions_by_user ON transactions (user_id, event_time) INCLUDE (status, merchant_id, amount)',
      'VACUUM ANALYZE transactions',
      'CHECKPOINT',
      'CREATE EXTENSION IF NOT EXISTS pg_prewarm',
      "SELECT pg_prewarm('transactions'), pg_prewarm('transactions_by_user')",
    ]);
  }
  const settleSeconds = (performance.now() - s0) / 1000;
  o.progress.done(
    `  ${t.name}: ${total.toLocaleString('en-US')} transactions by COPY in ${seconds.toFixed(1)} s (${fmtQps(total / seconds)} rows/s), then ${freshet ? 'FLUSH and settling' : 'index, VACUUM ANALYZE, prewarm'} ${settleSeconds.toFixed(1)} s`,
  );
  return { seconds, rowsPerS: total / seconds, settleSeconds };
}

/** The first and last user of every level: Freshet's MV row vs PostgreSQL's naive answer (integer columns), and the MV's count = the volume. */
async function check(f: RunningTarget, p: RunningTarget, plan: VolumePlan): Promise<VolumeResult['checks']> {
  const [cf, cp] = [await connect(f), await connect(p)];
  try {
    const out: VolumeResult['checks'] = [];
    for (const [g, volume] of plan.volumes.entries()) {
      for (const user of new Set(volumeUsers(plan, g))) {
        const a = (await cf.query({ text: 'SELECT declined_count_24h, unique_merchants_1h, total_txn_24h FROM user_risk_features WHERE user_id = $1', values: [user], rowMode: 'array' })).rows;
        const b = (await cp.query({ text: NAIVE_RISK_SQL, values: [user], rowMode: 'array' })).rows;
        const freshet = JSON.stringify(a.map((row: unknown[]) => row.map(String)));
        const postgres = JSON.stringify(b.map((row: unknown[]) => [row[1], row[2], volume].map(String)));
        out.push({ volume, user, freshet, postgres, equal: freshet === postgres });
      }
    }
    return out;
  } finally {
    await Promise.all([cf.end(), cp.end()]);
  }
}

/** One naive query per level (the level's first user; the third of three runs: warm), to size its cells. */
async function probeNaive(p: RunningTarget, plan: VolumePlan): Promise<VolumeResult['probes']> {
  const c = await connect(p);
  try {
    const out: VolumeResult['probes'] = [];
    for (const [g, volume] of plan.volumes.entries()) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await c.query({ name: 'probe', text: NAIVE_RISK_SQL, values: [volumeUsers(plan, g)[0]] });
        times.push(performance.now() - t0);
      }
      out.push({ volume, naiveMs: median(times) });
    }
    return out;
  } finally {
    await c.end();
  }
}

/** A naive cell's window: about NAIVE_TARGET_QUERIES queries at the probe's speed over the cores the connections can use. */
export function naiveWindowMs(probeMs: number, connections: number, cores: number, minMs: number): number {
  const msPerQuery = probeMs / Math.max(1, Math.min(connections, cores));
  return Math.round(Math.min(MAX_CELL_MS, Math.max(minMs, NAIVE_TARGET_QUERIES * msPerQuery)));
}

async function measure(o: ScenarioOptions, r: VolumeResult, targets: Partial<Record<VolumeSystem, RunningTarget>>): Promise<VolumeCell[]> {
  const cores = cpus().length;
  const cells: VolumeCell[] = [];
  for (const volume of r.config.volumes)
    for (const connections of r.config.connections)
      for (const system of r.config.systems) {
        const probe = r.probes.find((p) => p.volume === volume)?.naiveMs ?? 0;
        const naive = system === 'postgres-naive';
        cells.push({
          volume,
          system,
          connections,
          runs: [],
          summary: null,
          durationMs: naive ? naiveWindowMs(probe, connections, cores, o.durationS * 1000) : o.durationS * 1000,
          // A naive warm-up covers a few queries per connection, so none is cut off at the start of the window.
          warmupMs: naive ? Math.min(MAX_CELL_MS, Math.max(o.warmupS * 1000, 3 * probe * Math.max(1, connections / cores))) : o.warmupS * 1000,
        });
      }
  const totalMs = cells.reduce((a, c) => a + c.durationMs + c.warmupMs, 0) * o.repeats;
  o.log(`measuring ${cells.length} cells × ${o.repeats} run(s) ≈ ${Math.ceil(totalMs / 60_000)} min (naive cells sized for ~${NAIVE_TARGET_QUERIES} queries, at most ${MAX_CELL_MS / 1000} s)`);
  let done = 0;
  for (let rep = 0; rep < o.repeats; rep++) {
    const order = rep % 2 === 0 ? cells : [...cells].reverse();
    for (const cell of order) {
      done++;
      if (cell.failure) continue;
      const t = targets[cell.system]!;
      const g = r.config.volumes.indexOf(cell.volume);
      const [keyMin, keyMax] = volumeUsers(r.config, g);
      const pid = t.serverPid();
      const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
      const label = `${cell.system.padEnd(14)} ${shortNumber(cell.volume).padStart(5)} rows/user ${String(cell.connections).padStart(2)} conn run ${rep + 1}/${o.repeats}`;
      const m = await runCell(
        {
          host: t.host,
          port: t.port,
          user: t.user,
          database: t.database,
          table: '',
          protocol: 'extended',
          connections: cell.connections,
          keyMin,
          keyMax,
          query: cell.system === 'freshet' ? LOOKUP : NAIVE,
          warmupMs: cell.warmupMs,
          durationMs: cell.durationMs,
          seed: 1 + rep * 7919,
        },
        o.clientThreads,
        (tick) => o.progress.update(`${label}: ${tick.phase} (${tick.queries} queries)`, done / (cells.length * o.repeats)),
      );
      const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
      const served = m.queries + (m.warmupQueries ?? 0);
      m.serverCpuUsPerQuery = cpu0 !== null && cpu1 !== null && served > 0 ? ((cpu1 - cpu0) * 1e6) / served : null;
      if (m.errors || m.wrongRows || m.queries === 0) {
        cell.failure = m.errors ? `error: ${m.firstError}` : m.wrongRows ? `${m.wrongRows} wrong answers (${m.firstError})` : 'no query completed in the window';
        o.progress.done(`${label}: FAILED — ${cell.failure}`);
        continue;
      }
      cell.runs.push(m);
      o.progress.done(`${label}: ${fmtQps(m.qps).padStart(7)} QPS  p50 ${fmtMs(m.p50Us)}  p99 ${fmtMs(m.p99Us)} ms  ${m.queries} queries  load ${m.loadAverage1m.toFixed(1)}`);
    }
  }
  for (const c of cells) if (!c.failure && c.runs.length) c.summary = summarizeRuns(c.runs);
  return cells;
}

const cellOf = (r: VolumeResult, system: VolumeSystem, volume: number, connections: number) =>
  r.cells.find((c) => c.system === system && c.volume === volume && c.connections === connections && c.summary);

export function ratiosFor(r: VolumeResult): VolumeRatio[] {
  const out: VolumeRatio[] = [];
  for (const volume of r.config.volumes)
    for (const connections of r.config.connections) {
      const f = cellOf(r, 'freshet', volume, connections)?.summary?.median;
      const n = cellOf(r, 'postgres-naive', volume, connections)?.summary?.median;
      if (f && n) out.push({ volume, connections, p50: n.p50Us / f.p50Us, p99: n.p99Us / f.p99Us, qps: f.qps / n.qps });
    }
  return out;
}

function notesFor(r: VolumeResult): string[] {
  const d = r.config;
  return [
    `Seed 004 describes the naive query "on a table with ${SEED_NAIVE.rowsPerUser}" (${SEED_NAIVE.singleUserMs} for a single user; PostgreSQL p50 ${SEED_NAIVE.pgP50Ms} ms / p99 ${SEED_NAIVE.pgP99Ms} ms "with equivalent data volume"). ` +
      "The serving scenario's presets give hot users 1,000–10,000 transactions (quick, ≈ 3,900 on average) or 1,000–20,000 (full): 100–1,000 times less than the seed.",
    `Data: ${d.usersPerVolume} users per level, each with exactly that many transactions, all inside the 24-hour window (timestamped at load), ${d.transactions.toLocaleString('en-US')} in all; ` +
      "each user's transactions are spread evenly over the load, interleaved with the others'. No other users: the naive query reads one index range per user, whose cost does not depend on the other users' rows.",
    'Both systems are loaded with `COPY … FROM STDIN` (text). PostgreSQL builds the index after the load, then VACUUM ANALYZE, CHECKPOINT and pg_prewarm (an index-only scan of warm pages: its best case). ' +
      `Freshet feeds the rows through the MV as they arrive (FLUSH, then a wait until the server is idle)${d.memoryLimit ? `, with \`--memory-limit ${d.memoryLimit}\` as in the serving scenario` : ''}.`,
    `Cells: extended protocol, closed loop, keys drawn uniformly from the level's users. Freshet cells ${d.durationS} s after ${d.warmupS} s warm-up; a naive cell runs for about ${NAIVE_TARGET_QUERIES} queries at its probe's speed (between ${d.durationS} s and ${MAX_CELL_MS / 1000} s), so its p99 is near its maximum: see the query counts.`,
    'PostgreSQL runs with its defaults apart from durable settings and shared_buffers sized for the table (work_mem 4 MB: COUNT(DISTINCT merchant_id) sorts the user\'s rows).',
    ...r.checks.filter((c) => !c.equal).map((c) => `**Check failed** for user ${c.user} (${c.volume} rows): Freshet ${c.freshet}, PostgreSQL ${c.postgres}.`),
    ...r.cells.filter((c) => c.failure).map((c) => `FAILED ${c.system} ${c.volume} rows/user ${c.connections} conns: ${c.failure}`),
  ];
}


const fmtX = (x: number) => (x >= 100 ? `${Math.round(x).toLocaleString('en-US')}×` : `${x.toFixed(1)}×`);

export function renderVolume(r: VolumeResult): string {
  const d = r.config;
  const out: string[] = [`# serving-volume — ${r.date}`, ''];
  out.push(
    `Issue 7's "≥ ${SERVING_GOALS.naiveSpeedup}× faster than query-time aggregation in PostgreSQL" against rows per user. **Seed 004's volume: ${SEED_NAIVE.rowsPerUser}** ` +
      `(PostgreSQL p50 ${SEED_NAIVE.pgP50Ms} ms / p99 ${SEED_NAIVE.pgP99Ms} ms). **Our serving presets: 1,000–10,000 per hot user (quick), 1,000–20,000 (full).** ` +
      `This run: ${d.usersPerVolume} users at each of ${d.volumes.map((v) => v.toLocaleString('en-US')).join(', ')} rows per user (${d.transactions.toLocaleString('en-US')} transactions).`,
    '',
  );
  for (const [name, v] of Object.entries(r.versions)) out.push(`- **${name}**: ${v}; COPY ${r.load[name]?.seconds.toFixed(1)} s (${fmtQps(r.load[name]?.rowsPerS ?? 0)} rows/s), then ${r.load[name]?.settleSeconds.toFixed(1)} s ${name === 'freshet' ? 'FLUSH + settle' : 'index + VACUUM + prewarm'}`);
  if (r.checks.length) out.push(`- checks: ${r.checks.filter((c) => c.equal).length} of ${r.checks.length} users (first and last of each level) identical in Freshet's MV and PostgreSQL's naive answer, MV count = the volume`);
  out.push('');
  const reached = r.reached === null ? `**not reached** at any measured volume (up to ${shortNumber(Math.max(...d.volumes))} rows per user)` : `**reached at ${r.reached.toLocaleString('en-US')} rows per user** (p50 and QPS, every connection count)`;
  out.push(`## ≥ ${SERVING_GOALS.naiveSpeedup}×: ${reached}`, '');
  out.push(
    markdownTable(
      ['rows per user', 'conns', 'p50 ratio', 'p99 ratio', 'QPS ratio', `≥ ${SERVING_GOALS.naiveSpeedup}×?`],
      r.ratios.map((x) => [x.volume.toLocaleString('en-US'), String(x.connections), fmtX(x.p50), fmtX(x.p99), fmtX(x.qps), x.p50 >= SERVING_GOALS.naiveSpeedup && x.qps >= SERVING_GOALS.naiveSpeedup ? 'yes' : 'no']),
    ),
    '',
    'Ratios: naive p50 / Freshet p50, naive p99 / Freshet p99, Freshet QPS / naive QPS.',
    '',
    '## Figures (ms)',
    '',
    markdownTable(
      ['rows per user', 'system', 'conns', 'QPS', 'QPS min–max (spread)', 'p50', 'p99', 'p99.9', 'queries', 'server CPU µs/query'],
      r.cells.map((c) => {
        const key = [c.volume.toLocaleString('en-US'), c.system, String(c.connections)];
        if (!c.summary) return [...key, 'FAILED', '', '', '', '', c.failure ?? '', ''];
        const cpu = c.runs.map((x) => x.serverCpuUsPerQuery).filter((x): x is number => typeof x === 'number');
        return [...key, ...summaryCells(c.summary), String(median(c.runs.map((x) => x.queries))), cpu.length ? median(cpu).toFixed(1) : 'n/a'];
      }),
    ),
    '',
  );
  if (r.probes.length) out.push(`Naive probe (one query, one connection, warm): ${r.probes.map((p) => `${shortNumber(p.volume)} → ${p.naiveMs.toFixed(2)} ms`).join(', ')}.`, '');
  out.push('Systems:', '', ...Object.entries(VOLUME_SYSTEM_TEXT).map(([k, v]) => `- \`${k}\`: ${v}`), '');
  out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/** Per system, a light shade for the fewest connections and a dark one for more. */
const COLOR: Record<VolumeSystem, string[]> = { freshet: ['#fdae6b', '#e6550d', '#a63603'], 'postgres-naive': ['#9ecae1', '#3182bd', '#08519c'] };
const CONN_COLORS = ['#3182bd', '#e6550d', '#31a354', '#756bb1'];

export function volumeCharts(r: VolumeResult): ScenarioOutput['charts'] {
  const conns = r.config.connections;
  const latency: LineSeries[] = r.config.systems.flatMap((system) =>
    conns.flatMap((c, i) =>
      (['p50Us', 'p99Us'] as const).map((k) => ({
        name: `${system} ${k === 'p50Us' ? 'p50' : 'p99'}, ${c} conn${c > 1 ? 's' : ''}`,
        color: COLOR[system][Math.min(i, COLOR[system].length - 1)],
        dashed: k === 'p99Us',
        points: r.config.volumes.flatMap((v): [number, number][] => {
          const s = cellOf(r, system, v, c)?.summary;
          return s ? [[v, s.median[k] / 1000]] : [];
        }),
      })),
    ),
  ).filter((s) => s.points.length);
  const ratio: LineSeries[] = conns.flatMap((c, i) =>
    (['p50', 'qps'] as const).map((k) => ({
      name: `${k === 'p50' ? 'p50' : 'QPS'} ratio, ${c} conn${c > 1 ? 's' : ''}`,
      color: CONN_COLORS[i % CONN_COLORS.length],
      dashed: k === 'qps',
      points: r.ratios.filter((x) => x.connections === c).map((x): [number, number] => [x.volume, x[k]]),
    })),
  ).filter((s) => s.points.length);
  return [
    {
      suffix: 'latency',
      title: 'latency against rows per user',
      svg: lineChart({
        title: 'latency by rows per user: PostgreSQL naive vs Freshet MV',
        xLabel: 'transactions per user in the 24 h window',
        yLabel: 'ms',
        xLog: true,
        yLog: true,
        series: latency,
        refs: [{ y: SEED_NAIVE.pgP50Ms, label: `seed 004: PostgreSQL p50 ${SEED_NAIVE.pgP50Ms} ms` }],
      }),
    },
    {
      suffix: 'ratio',
      title: 'speed-up against rows per user',
      svg: lineChart({
        title: 'Freshet MV lookup speed-up over the naive query',
        xLabel: 'transactions per user in the 24 h window',
        yLabel: 'speed-up (×)',
        xLog: true,
        yLog: true,
        series: ratio,
        refs: [{ y: SERVING_GOALS.naiveSpeedup, label: `goal ${SERVING_GOALS.naiveSpeedup}×` }],
      }),
    },
  ];
}

export function volumeSpreads(r: VolumeResult): Spread[] {
  return r.cells
    .filter((c) => c.summary && c.runs.length > 1)
    .flatMap((c) => [
      { label: `${c.system} ${c.volume} ${c.connections}c QPS`, pct: c.summary!.spread.qpsPct },
      { label: `${c.system} ${c.volume} ${c.connections}c p99`, pct: c.summary!.spread.p99Pct },
    ]);
}

function output(r: VolumeResult): ScenarioOutput {
  const lines = r.ratios.map((x) => `  ${x.volume.toLocaleString('en-US').padStart(10)} rows/user, ${x.connections} conn: p50 ${fmtX(x.p50)}, QPS ${fmtX(x.qps)}, p99 ${fmtX(x.p99)}`);
  return {
    scenario: 'serving-volume',
    scale: r.config.volumes.map(shortNumber).join('-'),
    date: r.date,
    data: r,
    markdown: renderVolume(r),
    charts: volumeCharts(r),
    summary: [
      `summary: serving-volume — ≥ ${SERVING_GOALS.naiveSpeedup}× vs naive aggregation ${r.reached === null ? 'NOT reached' : `reached at ${r.reached.toLocaleString('en-US')} rows per user`}`,
      ...lines,
    ].join('\n'),
    spreads: volumeSpreads(r),
  };
}
