/**
 * Serving (issue 7): seed 004's feature-serving patterns, side by side in one run.
 *
 * Raw events stream into Freshet through its MVs (`user_risk_features`, `session_activity`
 * verbatim, a 24-column `user_wide_features`), row by row as prepared multi-row INSERTs.
 * PostgreSQL 15 gets the same events, the same three relations as plain tables computed
 * from them (same rows: checked), and answers the article's naive query-time aggregation
 * from the raw events. A Redis sink (the article's `CREATE SINK … connector = 'redis'`)
 * writes `user_risk_features` to Redis, read back with GET.
 *
 * Query kinds (the article's latency table): single-MV lookup of a hot key and of a cold
 * key, the two-MV serving join (hot key, cold key), the wide row, and the high-cardinality
 * GROUP BY key (session_activity by (session_id, user_id)). Each cell — system × kind ×
 * protocol × connections — is a closed loop measured `repeats` times, interleaved
 * (system order flips per repeat), median reported with its spread.
 */
import { execFileSync } from 'node:child_process';
import type pg from 'pg';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@freshet/testkit';
import { barChart } from '../lib/svg';
import { batchInsert } from '../lib/batch-insert';
import { latencyCdfChart, latencyHistogramChart, medianRun, type DistributionEntry } from '../lib/charts';
import { runCell, type Measurement } from '../lib/loadgen';
import type { QuerySpec } from '../lib/loadgen-protocol';
import { machineInfo, machineLine, processTreeCpuSeconds, type MachineInfo } from '../lib/machine';
import { connect, timestampNow } from '../lib/pipeline-run';
import { fmtMs, fmtQps, fmtRatio, summaryCells, markdownTable } from '../lib/report';
import type { Spread } from '../lib/run-conditions';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { timestampText } from '../lib/feature-pipeline';
import {
  CHECKS,
  FEATURES,
  NAIVE_JOIN_SQL,
  NAIVE_RISK_SQL,
  PAGE_COLUMNS,
  SERVING_JOIN_SQL,
  SESSION_INDEX_SQL,
  SOURCE_TABLES_SQL,
  TXN_COLUMNS,
  pageEventCount,
  pageEventParams,
  sessionActivitySelect,
  transactionCount,
  transactionParams,
  userWideSelect,
  type ServingData,
} from '../lib/serving-model';
import { median, summarizeRuns, type CellSummary } from '../lib/stats';
import { startTarget, type RunningTarget } from '../lib/targets';

export interface ServingPreset extends ServingData {
  durationS: number;
  warmupS: number;
  repeats: number;
  connections: number[];
}

/**
 * Hot users are seed 004's heavy users ("thousands of raw events" per user in the 24 h
 * window, where query-time aggregation fails): quick 100 of them with 1,000 to 10,000
 * transactions each (≈ 391,000 in all, ≈ 3,900 per hot user on average: ≈ 641,000 events
 * with the rest, about a minute's load for Freshet on a quiet machine), full 1,000 with
 * 1,000 to 20,000 (≈ 6.3M); every other user has one.
 */
export const SERVING_PRESETS: Record<string, ServingPreset> = {
  quick: { users: 100_000, hotUsers: 100, baseTxns: 1, hotTxnsMin: 1_000, hotTxnsMax: 10_000, sessions: 150_000, pagesPerSession: 1, durationS: 2, warmupS: 1, repeats: 3, connections: [1, 8, 32] },
  full: { users: 10_000_000, hotUsers: 1_000, baseTxns: 1, hotTxnsMin: 1_000, hotTxnsMax: 20_000, sessions: 10_000_000, pagesPerSession: 1, durationS: 10, warmupS: 2, repeats: 3, connections: [1, 8, 32] },
};
SERVING_PRESETS.small = SERVING_PRESETS.quick;

/** The issue's serving targets. */
export const SERVING_GOALS = { qpsRatioAt8: 1.0, p99MsAt8: 1, seedHotP99Ms: 3.8, naiveSpeedup: 50 } as const;

export type System = 'freshet' | 'postgres' | 'postgres-naive' | 'redis-get' | 'redis-hgetall';
export type KindId = 'hot' | 'cold' | 'join-hot' | 'join-cold' | 'wide' | 'high-card';

export const SYSTEM_TEXT: Record<System, string> = {
  freshet: 'Freshet MV (point lookup)',
  postgres: 'PostgreSQL plain table (same rows)',
  'postgres-naive': 'PostgreSQL query-time aggregation from raw events',
  'redis-get': "Redis GET of the Freshet sink's JSON value",
  'redis-hgetall': 'Redis HGETALL of the same row as a hash (written by the bench: reference only)',
};

interface Kind {
  id: KindId;
  text: string;
  /** Seed 004's RisingWave figures (4 compute nodes, 10M entity rows), ms. */
  seed: { p50: number; p99: number };
  keys: (d: ServingData) => [number, number];
  mv: QuerySpec;
  naive: QuerySpec | null;
  /** Redis holds user_risk_features only (the article's sink). */
  redis: boolean;
}

const one = (text: string, checkColumn: string | null, params: QuerySpec['params'] = ['key']): QuerySpec => ({ text, params, checkColumn, minRows: 1, maxRows: 1 });
const joinSpec = (text: string): QuerySpec => ({ text, params: ['key'], checkColumn: null, minRows: 1, maxRows: 1000 });
const hotKeys = (d: ServingData): [number, number] => [1, d.hotUsers];
const coldKeys = (d: ServingData): [number, number] => [d.hotUsers + 1, d.users];
const RISK_LOOKUP = 'SELECT * FROM user_risk_features WHERE user_id = $1';
const SESSION_LOOKUP = 'SELECT * FROM session_activity WHERE session_id = $1 AND user_id = $2';

export const KINDS: readonly Kind[] = [
  { id: 'hot', text: 'single MV, hot key', seed: { p50: 1.2, p99: 3.8 }, keys: hotKeys, mv: one(RISK_LOOKUP, 'user_id'), naive: one(NAIVE_RISK_SQL, 'user_id'), redis: true },
  { id: 'cold', text: 'single MV, cold key', seed: { p50: 6.1, p99: 14 }, keys: coldKeys, mv: one(RISK_LOOKUP, 'user_id'), naive: one(NAIVE_RISK_SQL, 'user_id'), redis: true },
  { id: 'join-hot', text: 'two-MV join, hot key', seed: { p50: 2.4, p99: 6.1 }, keys: hotKeys, mv: joinSpec(SERVING_JOIN_SQL), naive: joinSpec(NAIVE_JOIN_SQL), redis: false },
  { id: 'join-cold', text: 'two-MV join, cold key', seed: { p50: 7.8, p99: 18 }, keys: coldKeys, mv: joinSpec(SERVING_JOIN_SQL), naive: joinSpec(NAIVE_JOIN_SQL), redis: false },
  {
    id: 'wide',
    text: 'wide row (24 columns)',
    seed: { p50: 1.8, p99: 5.2 },
    keys: hotKeys,
    mv: one('SELECT * FROM user_wide_features WHERE user_id = $1', 'user_id'),
    naive: one(userWideSelect('user_id = $1 AND '), 'user_id'),
    redis: false,
  },
  {
    id: 'high-card',
    text: 'high-cardinality GROUP BY key (session)',
    seed: { p50: 1.5, p99: 4.1 },
    keys: (d) => [1, d.sessions],
    mv: one(SESSION_LOOKUP, 'session_id', ['key', { modulo: 0 }]),
    naive: one(sessionActivitySelect('session_id = $1 AND user_id = $2 AND '), 'session_id', ['key', { modulo: 0 }]),
    redis: false,
  },
];

/** The session's user parameter depends on the data size: fill the modulo in. */
function withUsers(q: QuerySpec, d: ServingData): QuerySpec {
  return { ...q, params: q.params.map((p) => (p === 'key' ? p : { modulo: d.users })) };
}

export interface ServingCell {
  system: System;
  kind: KindId;
  protocol: 'extended' | 'simple' | 'resp';
  connections: number;
  runs: Measurement[];
  summary: CellSummary | null;
  failure?: string;
}

export interface GoalCheck {
  goal: string;
  figure: string;
  met: boolean | null;
}

export interface ServingResult {
  scenario: 'serving';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: ServingPreset & { protocols: string[]; systems: System[]; transactions: number; pageEvents: number; memoryLimit: string | null; semiSpaceMb?: string | null };
  load: Record<string, { seconds: number; rowsPerS: number; settleSeconds: number }>;
  checks: { what: string; freshet: string; postgres: string; equal: boolean }[];
  versions: Record<string, string>;
  cells: ServingCell[];
  goals: GoalCheck[];
  notes: string[];
}

export const serving: Scenario = {
  name: 'serving',
  description: "seed 004's serving patterns: MV lookups (hot/cold key, join, wide row, high-cardinality key) vs PostgreSQL table, naive aggregation, Redis",
  defaults: (scale) => {
    const p = SERVING_PRESETS[scale] ?? SERVING_PRESETS.quick;
    return { durationS: p.durationS, warmupS: p.warmupS, repeats: p.repeats, connections: p.connections };
  },
  run: async (o) => output(await run(o)),
};

function presetFor(o: ScenarioOptions): ServingPreset {
  const p = SERVING_PRESETS[o.scale] ?? SERVING_PRESETS.quick;
  const users = o.pipeline.users ?? p.users;
  const f = users / p.users;
  return {
    ...p,
    users,
    hotUsers: Math.max(1, Math.round(p.hotUsers * f)),
    sessions: Math.max(1, Math.round(p.sessions * f)),
    durationS: o.durationS,
    warmupS: o.warmupS,
    repeats: o.repeats,
    connections: o.connections,
  };
}

/**
 * The server's young generation (MiB per semi-space, FRESHET_SEMI_SPACE_MB of bin/freshet):
 * SERVING_SEMI_SPACE_MB, 64 by default (the launcher's size without a limit); empty for the
 * launcher's own size for the limit. The memory limit
 * is here to make cold keys cold; the launcher would also size the young generation to it
 * (limit/16: 2 MiB at 32 MiB), and a lookup load at 8 connections then stalls on ~8x the
 * scavenges, each 1–5 ms with the seed's state in the heap — RSS the serving target does
 * not trade for (docs/performance.md, serving).
 */
export function servingSemiSpaceMb(env: string | undefined = process.env.SERVING_SEMI_SPACE_MB): string | null {
  if (env === undefined) return '64';
  return env.trim() === '' ? null : env.trim();
}

/** The cache helper's `freshet start --memory-limit`, when this build has it. */
export function memoryLimitSupported(repoRoot: string): boolean {
  try {
    return execFileSync(process.execPath, [join(repoRoot, 'bin/freshet.js'), 'start', '--help'], { encoding: 'utf8' }).includes('--memory-limit');
  } catch {
    return false;
  }
}

interface Systems {
  freshet?: RunningTarget;
  postgres?: RunningTarget;
  redis?: RedisServer;
}

async function run(o: ScenarioOptions): Promise<ServingResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const cfg = presetFor(o);
  const memoryLimit = memoryLimitSupported(o.repoRoot) ? (process.env.SERVING_MEMORY_LIMIT ?? '32MiB') : null;
  const semiSpaceMb = servingSemiSpaceMb();
  const systems: System[] = [
    ...(o.targets.includes('freshet') ? (['freshet', 'redis-get', 'redis-hgetall'] as const) : []),
    ...(o.targets.includes('postgres') ? (['postgres', 'postgres-naive'] as const) : []),
  ];
  // The Redis systems are dropped (and a note added) if the sink does not deliver.
  const result: ServingResult = {
    scenario: 'serving',
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine,
    config: { ...cfg, protocols: o.protocols, systems, transactions: transactionCount(cfg), pageEvents: pageEventCount(cfg), memoryLimit, semiSpaceMb },
    load: {},
    checks: [],
    versions: {},
    cells: [],
    goals: [],
    notes: [],
  };
  o.log(machineLine(machine));
  o.log(
    `plan: ${cfg.users.toLocaleString('en-US')} users (${cfg.hotUsers.toLocaleString('en-US')} hot), ${result.config.transactions.toLocaleString('en-US')} transactions, ` +
      `${result.config.pageEvents.toLocaleString('en-US')} page events into ${o.targets.join(' and ')}; cold keys ${memoryLimit ? `via --memory-limit ${memoryLimit}` : 'not applicable (no --memory-limit in this build)'}`,
  );
  const s: Systems = {};
  try {
    // Page events are stamped 12 h ahead: session_activity's 30-minute window must keep
    // every row for the whole run, or PostgreSQL's copy and Freshet's MV would drift apart.
    const pageTs = timestampText(Date.now() + 12 * 3600_000);
    // Redis first: the sink follows the MV while the events stream in (no snapshot scan,
    // which a memory-limited Freshet cannot do).
    if (o.targets.includes('freshet')) s.redis = await startRedis();
    for (const name of o.targets) {
      o.log(`starting ${name}…`);
      const t = await startTarget(name, {
        sharedBuffers: `${Math.max(256, Math.ceil((result.config.transactions + result.config.pageEvents) * 600 / 2 ** 20))}MB`,
        freshetHeapMb: 16384,
        freshetProfileDir: o.profileDir,
        freshetArgs: name === 'freshet' && memoryLimit ? ['--memory-limit', memoryLimit] : undefined,
        // The size of the young generation the launcher pins (V8 otherwise shrinks it while
        // the server idles between cells: docs/performance.md, serving).
        freshetEnv: semiSpaceMb ? { FRESHET_SEMI_SPACE_MB: semiSpaceMb } : undefined,
      });
      if (name === 'freshet') s.freshet = t;
      else s.postgres = t;
      result.versions[name] = t.version;
      result.load[name] = await load(o, t, cfg, pageTs, name === 'freshet' ? s.redis?.url : undefined);
    }
    if (s.freshet && s.postgres) result.checks = await compareFeatures(s.freshet, s.postgres, cfg);
    for (const c of result.checks) o.log(`  check ${c.what}: ${c.freshet}${c.equal ? '' : ` — FIRST DIFFERENCE ${c.postgres}`}`);
    if (s.freshet && s.redis) {
      try {
        result.load.redis = await waitForRedis(o, s.redis, cfg);
      } catch (e) {
        result.notes.push(`Redis not measured: ${(e as Error).message}`);
        o.log(`  redis: NOT MEASURED — ${(e as Error).message}`);
        systems.splice(0, systems.length, ...systems.filter((x) => !x.startsWith('redis')));
      }
    }
    result.cells = await measureAll(o, cfg, s, systems);
  } finally {
    for (const t of [s.freshet, s.postgres]) await t?.stop().catch(() => {});
    await s.redis?.close().catch(() => {});
  }
  result.finishedAt = new Date().toISOString();
  result.goals = goalsFor(result);
  result.notes = [...result.notes, ...notesFor(result)];
  return result;
}

export async function exec(t: RunningTarget, statements: string[]): Promise<void> {
  const c = await connect(t);
  try {
    for (const sql of statements) await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Freshet: tables, MVs, then the events streamed through them. PostgreSQL: tables, events, then the features as plain tables. */
async function load(o: ScenarioOptions, t: RunningTarget, d: ServingData, pageTs: string, redisUrl?: string): Promise<ServingResult['load'][string]> {
  const freshet = t.name === 'freshet';
  await exec(t, [
    ...SOURCE_TABLES_SQL,
    ...(freshet ? [...FEATURES.map((f) => `CREATE MATERIALIZED VIEW ${f.name} AS\n${f.select()}`), SESSION_INDEX_SQL] : []),
    // The article's sink, its key format verbatim.
    ...(redisUrl ? [`CREATE SINK user_risk_features_redis FROM user_risk_features WITH (connector = 'redis', redis.url = '${redisUrl}', redis.key.format = 'user_risk:{user_id}')`] : []),
  ]);
  const txns = transactionCount(d);
  const pages = pageEventCount(d);
  const total = txns + pages;
  const t0 = performance.now();
  const progress = (done: number) => o.progress.update(`${t.name}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events`, done / total);
  await batchInsert(t, { table: 'transactions', columns: TXN_COLUMNS, total: txns, row: (i) => transactionParams(d, i, timestampNow()), batchRows: 500, connections: 4, onProgress: progress });
  await batchInsert(t, { table: 'page_events', columns: PAGE_COLUMNS, total: pages, row: (j) => pageEventParams(d, j, pageTs), batchRows: 500, connections: 4, onProgress: (n) => progress(txns + n) });
  const seconds = (performance.now() - t0) / 1000;
  const s0 = performance.now();
  if (freshet) {
    await exec(t, ['FLUSH']);
    await quiesce(o, t);
  } else {
    await exec(t, [
      // The best index for the naive query: its key columns in order, and covering the
      // columns it aggregates, so a hot user's window is one index-only range scan.
      'CREATE INDEX transactions_by_user ON transactions (user_id, event_time) INCLUDE (status, merchant_id, amount)',
      'CREATE INDEX page_events_by_session ON page_events (session_id, user_id)',
      'CREATE INDEX page_events_by_user ON page_events (user_id)',
      ...FEATURES.flatMap((f) => [`CREATE TABLE ${f.name} AS\n${f.select()}`, `ALTER TABLE ${f.name} ADD PRIMARY KEY (${f.key})`]),
      SESSION_INDEX_SQL,
      'VACUUM ANALYZE',
      'CHECKPOINT',
      'CREATE EXTENSION IF NOT EXISTS pg_prewarm',
    ]);
    const rels = ['transactions', 'page_events', 'transactions_by_user', 'page_events_by_session', 'page_events_by_user', 'session_activity_by_user', ...FEATURES.flatMap((f) => [f.name, `${f.name}_pkey`])];
    await exec(t, [`SELECT ${rels.map((r) => `pg_prewarm('${r}')`).join(', ')}`]).catch(() => {});
  }
  const settleSeconds = (performance.now() - s0) / 1000;
  o.progress.done(
    `  ${t.name}: ${total.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s (${fmtQps(total / seconds)} events/s), then ${freshet ? 'FLUSH and settling (server CPU < 10% of a core for 2 s)' : 'feature tables, indexes, VACUUM, prewarm'} ${settleSeconds.toFixed(1)} s`,
  );
  return { seconds, rowsPerS: total / seconds, settleSeconds };
}

/** A server counts as settled below this share of one core, over QUIET_WINDOWS consecutive seconds. */
const QUIET_CPU = 0.1;
const QUIET_WINDOWS = 2;
const QUIESCE_LIMIT_S = 300;

/**
 * Waits until Freshet has finished the work its load left behind. FLUSH returns once every
 * MV reflects every event, but the durable checkpoint of that state, the eviction it makes
 * possible under --memory-limit and the garbage collection after it go on for a while
 * with a large state, and the first measured cells would pay for them (a 3 s cell with no
 * query answered, once). PostgreSQL gets the same courtesy: CHECKPOINT, VACUUM, prewarm.
 */
export async function quiesce(o: ScenarioOptions, t: RunningTarget): Promise<void> {
  const pid = t.serverPid();
  if (pid === null) return;
  const t0 = performance.now();
  let quiet = 0;
  let last = processTreeCpuSeconds(pid);
  while (quiet < QUIET_WINDOWS && (performance.now() - t0) / 1000 < QUIESCE_LIMIT_S) {
    await new Promise((res) => setTimeout(res, 1000));
    const now = processTreeCpuSeconds(pid);
    if (last === null || now === null) return;
    const busy = now - last;
    last = now;
    quiet = busy < QUIET_CPU ? quiet + 1 : 0;
    o.progress.update(`freshet: settling after the load (${busy.toFixed(2)} CPU-s in the last second)`, Math.min(1, (performance.now() - t0) / 1000 / QUIESCE_LIMIT_S));
  }
}

/** Sampled keys of each feature relation, read from both systems: the rows must be identical. */
async function compareFeatures(f: RunningTarget, p: RunningTarget, d: ServingData): Promise<ServingResult['checks']> {
  const [cf, cp] = [await connect(f), await connect(p)];
  try {
    const out: ServingResult['checks'] = [];
    for (const c of CHECKS) {
      let same = 0;
      let firstDiff = '';
      const keys = c.keys(d);
      for (const k of keys) {
        const read = async (client: pg.Client) => {
          try {
            return JSON.stringify((await client.query({ text: c.sql, values: c.params(d, k), rowMode: 'array' })).rows.map((r: unknown[]) => r.map(String)));
          } catch (e) {
            return `error: ${(e as Error).message}`;
          }
        };
        const [a, b] = [await read(cf), await read(cp)];
        if (a === b) same++;
        else firstDiff ||= `key ${k}: freshet ${a} vs postgres ${b}`;
      }
      out.push({ what: c.what, freshet: `${same} of ${keys.length} sampled keys identical`, postgres: firstDiff || '—', equal: same === keys.length });
    }
    return out;
  } finally {
    await Promise.all([cf.end(), cp.end()]);
  }
}

/**
 * Waits (after Freshet's FLUSH) until the sink has written every user, then copies each
 * JSON value into a hash for the HGETALL reference, since Freshet's sink writes strings only.
 */
async function waitForRedis(o: ScenarioOptions, redis: RedisServer, d: ServingData): Promise<ServingResult['load'][string]> {
  const r = new Redis({ host: '127.0.0.1', port: redis.port, protocol: 2 });
  try {
    const t0 = performance.now();
    for (;;) {
      const n = await r.dbsize();
      o.progress.update(`redis sink: ${n.toLocaleString('en-US')} / ${d.users.toLocaleString('en-US')} keys`, n / d.users);
      if (n >= d.users) break;
      if (performance.now() - t0 > 600_000) throw new Error(`the Redis sink wrote ${n} of ${d.users} keys in 600 s`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const s0 = performance.now();
    for (let from = 1; from <= d.users; from += 1000) {
      const keys = Array.from({ length: Math.min(1000, d.users - from + 1) }, (_, i) => `user_risk:${from + i}`);
      const values = await r.mget(...keys);
      const p = r.pipeline();
      values.forEach((v, i) => v && p.hset(`h:${keys[i]}`, JSON.parse(v) as Record<string, string>));
      await p.exec();
    }
    o.progress.done(`  redis: sink had all ${d.users.toLocaleString('en-US')} keys ${seconds.toFixed(1)} s after the FLUSH; hash copies for HGETALL in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    return { seconds, rowsPerS: d.users / seconds, settleSeconds: (performance.now() - s0) / 1000 };
  } finally {
    r.disconnect();
  }
}

/**
 * SERVING_KINDS=hot,join-cold measures a subset of the query kinds (e.g. while working on
 * one of them); the files then name the kinds, so the day's full run is not overwritten.
 */
export function selectedKinds(env: string | undefined = process.env.SERVING_KINDS): readonly Kind[] {
  const only = env?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return KINDS;
  for (const id of only) if (!KINDS.some((k) => k.id === id)) throw new Error(`SERVING_KINDS: unknown kind ${id} (${KINDS.map((k) => k.id).join(', ')})`);
  return KINDS.filter((k) => only.includes(k.id));
}

function cellPlan(o: ScenarioOptions, systems: System[]): Omit<ServingCell, 'runs' | 'summary'>[] {
  const plan: Omit<ServingCell, 'runs' | 'summary'>[] = [];
  for (const kind of selectedKinds())
    for (const connections of o.connections) {
      for (const protocol of o.protocols)
        for (const system of systems) {
          if (system.startsWith('redis')) continue;
          if (system === 'postgres-naive' && !kind.naive) continue;
          plan.push({ system, kind: kind.id, protocol, connections });
        }
      if (kind.redis) for (const system of systems.filter((x) => x.startsWith('redis'))) plan.push({ system, kind: kind.id, protocol: 'resp', connections });
    }
  return plan;
}

async function measureAll(o: ScenarioOptions, d: ServingPreset, s: Systems, systems: System[]): Promise<ServingCell[]> {
  const cells: ServingCell[] = cellPlan(o, systems).map((c) => ({ ...c, runs: [], summary: null }));
  const total = cells.length * d.repeats;
  let done = 0;
  o.log(`measuring ${cells.length} cells × ${d.repeats} runs × (${d.warmupS}+${d.durationS} s) ≈ ${Math.ceil((total * (d.warmupS + d.durationS + 0.3)) / 60)} min`);
  for (let rep = 0; rep < d.repeats; rep++) {
    // Interleaved: every cell once per repeat, the order reversed on odd repeats.
    const order = rep % 2 === 0 ? cells : [...cells].reverse();
    for (const cell of order) {
      done++;
      if (cell.failure) continue;
      const kind = KINDS.find((k) => k.id === cell.kind)!;
      const [keyMin, keyMax] = kind.keys(d);
      const target = cell.system === 'freshet' ? s.freshet! : cell.system.startsWith('postgres') ? s.postgres! : null;
      const query = withUsers(cell.system === 'postgres-naive' ? kind.naive! : kind.mv, d);
      const pid = target?.serverPid() ?? null;
      const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
      const m = await runCell(
        {
          host: target?.host ?? '127.0.0.1',
          port: target?.port ?? s.redis!.port,
          user: target?.user ?? '',
          database: target?.database ?? '',
          table: '',
          protocol: cell.protocol === 'resp' ? 'redis' : cell.protocol,
          connections: cell.connections,
          keyMin,
          keyMax,
          query,
          redis: cell.system === 'redis-get' ? { command: 'get', keyPrefix: 'user_risk:' } : { command: 'hgetall', keyPrefix: 'h:user_risk:' },
          warmupMs: d.warmupS * 1000,
          durationMs: d.durationS * 1000,
          seed: 1 + rep * 7919,
        },
        o.clientThreads,
        (tick) => o.progress.update(`run ${rep + 1}/${d.repeats} ${cell.system} ${cell.kind} ${cell.protocol} ${cell.connections} conn: ${tick.phase}`, done / total),
      );
      const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
      const served = m.queries + (m.warmupQueries ?? 0);
      m.serverCpuUsPerQuery = cpu0 !== null && cpu1 !== null && served > 0 ? ((cpu1 - cpu0) * 1e6) / served : null;
      const label = `${cell.system.padEnd(14)} ${cell.kind.padEnd(9)} ${cell.protocol.padEnd(8)} ${String(cell.connections).padStart(2)} conn run ${rep + 1}/${d.repeats}`;
      if (m.errors || m.wrongRows || m.queries === 0) {
        cell.failure = m.errors ? `error: ${m.firstError}` : m.wrongRows ? `${m.wrongRows} wrong answers (${m.firstError})` : `no query completed: each took longer than the ${d.warmupS + d.durationS} s run (too slow to measure at this duration)`;
        o.progress.done(`${label}: FAILED — ${cell.failure}`);
        continue;
      }
      cell.runs.push(m);
      o.progress.done(`${label}: ${fmtQps(m.qps).padStart(7)} QPS  p50 ${fmtMs(m.p50Us)}  p99 ${fmtMs(m.p99Us)}  p99.9 ${fmtMs(m.p999Us)} ms  load ${m.loadAverage1m.toFixed(1)}`);
    }
  }
  for (const c of cells) if (!c.failure && c.runs.length) c.summary = summarizeRuns(c.runs);
  return cells;
}

const findCell = (r: ServingResult, system: System, kind: KindId, protocol: string, connections: number) =>
  r.cells.find((c) => c.system === system && c.kind === kind && c.protocol === protocol && c.connections === connections && c.summary);

/** The connection count the targets speak of (8), or the nearest measured. */
function goalConnections(r: ServingResult): number {
  const cs = r.config.connections;
  return cs.includes(8) ? 8 : [...cs].sort((a, b) => Math.abs(a - 8) - Math.abs(b - 8))[0];
}

export function goalsFor(r: ServingResult): GoalCheck[] {
  const goals: GoalCheck[] = [];
  const n = goalConnections(r);
  for (const protocol of r.config.protocols) {
    const f = findCell(r, 'freshet', 'hot', protocol, n)?.summary;
    const p = findCell(r, 'postgres', 'hot', protocol, n)?.summary;
    if (f && p) {
      const ratio = f.median.qps / p.median.qps;
      goals.push({
        goal: `hot key, ${protocol}, ${n} conns: QPS ≥ ${SERVING_GOALS.qpsRatioAt8.toFixed(1)}× PostgreSQL's plain table`,
        figure: `${fmtQps(f.median.qps)} vs ${fmtQps(p.median.qps)} = ${fmtRatio(ratio)}`,
        met: ratio >= SERVING_GOALS.qpsRatioAt8,
      });
    }
    if (f)
      goals.push({
        goal: `hot key, ${protocol}, ${n} conns: Freshet p99 ≤ ${SERVING_GOALS.p99MsAt8} ms`,
        figure: `${fmtMs(f.median.p99Us)} ms`,
        met: f.median.p99Us <= SERVING_GOALS.p99MsAt8 * 1000,
      });
  }
  const hot1 = findCell(r, 'freshet', 'hot', 'extended', 1)?.summary ?? findCell(r, 'freshet', 'hot', 'extended', n)?.summary;
  if (hot1)
    goals.push({
      goal: `hot key p99 far under seed 004's ${SERVING_GOALS.seedHotP99Ms} ms (RisingWave, 4 compute nodes); "far" = at most a quarter`,
      figure: `${fmtMs(hot1.median.p99Us)} ms = ${fmtRatio(hot1.median.p99Us / 1000 / SERVING_GOALS.seedHotP99Ms)} of 3.8 ms`,
      met: hot1.median.p99Us / 1000 <= SERVING_GOALS.seedHotP99Ms / 4,
    });
  for (const c of r.config.connections) {
    const f = findCell(r, 'freshet', 'hot', 'extended', c)?.summary;
    const naive = findCell(r, 'postgres-naive', 'hot', 'extended', c)?.summary;
    if (f && naive) {
      const lat = naive.median.p50Us / f.median.p50Us;
      const qps = f.median.qps / naive.median.qps;
      goals.push({
        goal: `hot key, extended, ${c} conn${c > 1 ? 's' : ''}: ≥ ${SERVING_GOALS.naiveSpeedup}× faster than query-time aggregation in PostgreSQL (p50 and QPS)`,
        figure: `p50 ${fmtMs(f.median.p50Us)} vs ${fmtMs(naive.median.p50Us)} ms = ${lat.toFixed(1)}×; QPS ${fmtQps(f.median.qps)} vs ${fmtQps(naive.median.qps)} = ${qps.toFixed(1)}×`,
        met: lat >= SERVING_GOALS.naiveSpeedup && qps >= SERVING_GOALS.naiveSpeedup,
      });
    }
  }
  return goals;
}

function notesFor(r: ServingResult): string[] {
  const notes: string[] = [];
  const d = r.config;
  notes.push(
    `Data: ${d.users.toLocaleString('en-US')} users; users 1–${d.hotUsers.toLocaleString('en-US')} are the "hot" (heavy) users, with ${d.baseTxns} + ${d.hotTxnsMax.toLocaleString('en-US')} (user 1) down to ${d.baseTxns} + ${d.hotTxnsMin.toLocaleString('en-US')} (user ${d.hotUsers.toLocaleString('en-US')}) transactions each, all inside the 24-hour window ` +
      `(a log-uniform spread, ${fmtQps((d.transactions - d.users * d.baseTxns) / Math.max(1, d.hotUsers))} extra on average), the others ${d.baseTxns}; ` +
      `${d.sessions.toLocaleString('en-US')} sessions with ${d.pagesPerSession} page event(s) each. Hot-key cells draw uniformly from the hot users, cold-key cells from the rest.`,
  );
  notes.push(
    r.config.memoryLimit
      ? `Cold keys: Freshet ran with \`--memory-limit ${r.config.memoryLimit}\` (SERVING_MEMORY_LIMIT), so long-tail keys are mostly evicted and read from LevelDB. PostgreSQL's tables and indexes are prewarmed into shared_buffers, so its cold keys are memory reads too.`
      : 'Cold keys: **not applicable** — this build of `freshet start` has no `--memory-limit`, so every MV row is in memory; the "cold" cells are the long-tail keys (uniform over the non-hot users), served from memory like the hot ones.',
  );
  notes.push(
    `Freshet was started with \`bin/freshet\` (the command users run), which pins V8's young generation (it would otherwise shrink while the server idles between cells); ` +
      (d.semiSpaceMb ? `${d.semiSpaceMb} MiB semi-spaces (FRESHET_SEMI_SPACE_MB, from SERVING_SEMI_SPACE_MB), not the launcher's size for the memory limit.` : "the launcher's own size for the memory limit (SERVING_SEMI_SPACE_MB empty)."),
  );
  notes.push(
    "The two-MV join is the article's serving query verbatim (`LEFT JOIN session_activity s USING (user_id) WHERE u.user_id = $1`). Both systems have an index on session_activity (user_id); a Freshet plan that scans session_activity instead of using it shows up as a join an order of magnitude slower than the lookups.",
  );
  notes.push(
    `Naive aggregation at seed 004's volume ("millions of rows per user over a 24-hour window"; these hot users have ${d.hotTxnsMin.toLocaleString('en-US')}–${d.hotTxnsMax.toLocaleString('en-US')}): \`npm run bench -- serving-volume\` measures the ratio against rows per user (1k–1M).`,
  );
  notes.push(
    "PostgreSQL's naive baseline runs the article's query-time aggregation verbatim (`SELECT user_id, COUNT(*) FILTER (…), COUNT(DISTINCT merchant_id), SUM(amount) FROM transactions WHERE user_id = $1 AND event_time >= NOW() - INTERVAL '24 hours' GROUP BY user_id`) over the best index for it, `transactions (user_id, event_time) INCLUDE (status, merchant_id, amount)` (an index-only range scan of the user's window, after VACUUM ANALYZE and pg_prewarm); the other kinds' naive forms add `user_id = $1` (or the session key) to the MV's own SELECT.",
  );
  notes.push(
    "Redis: Freshet's Redis sink writes strings only (JSON values, `SET`), so HGETALL of Freshet-written keys is not possible; the GET rows read the sink's keys (`user_risk:{user_id}`, the article's key format), the HGETALL rows read hash copies the bench wrote from those values — a reference for a hash layout, not Freshet output.",
  );
  notes.push('Page events are timestamped 12 hours ahead so the 30-minute window of session_activity keeps every row for the whole run (PostgreSQL computes its plain table once).');
  for (const c of r.checks) notes.push(`Check ${c.what} (Freshet MV vs PostgreSQL table, integer columns by key): ${c.freshet}${c.equal ? '' : ` — **first difference** ${c.postgres}`}.`);
  const failed = r.cells.filter((c) => c.failure);
  for (const c of failed) notes.push(`FAILED ${c.system}/${c.kind}/${c.protocol}/${c.connections}: ${c.failure}`);
  return notes;
}


export function renderServing(r: ServingResult): string {
  const d = r.config;
  const out: string[] = [`# serving — ${r.date}`, ''];
  out.push(
    `Scale **${r.scale}**: ${d.users.toLocaleString('en-US')} entity rows per user MV, ${d.sessions.toLocaleString('en-US')} sessions; ${d.transactions.toLocaleString('en-US')} transactions and ` +
      `${d.pageEvents.toLocaleString('en-US')} page events streamed in as prepared multi-row INSERTs. Each cell ${d.durationS} s measured after ${d.warmupS} s warm-up, ` +
      `${d.repeats} run(s), interleaved, median reported; closed loop, one query in flight per connection.`,
    '',
  );
  for (const [name, v] of Object.entries(r.versions)) out.push(`- **${name}**: ${v}; loaded in ${r.load[name]?.seconds.toFixed(1)} s (${fmtQps(r.load[name]?.rowsPerS ?? 0)} events/s)`);
  if (r.load.redis) out.push(`- **redis**: the sink (created with the MVs, before the events) held all ${d.users.toLocaleString('en-US')} keys ${r.load.redis.seconds.toFixed(1)} s after Freshet's FLUSH`);
  out.push('');
  if (r.goals.length) {
    out.push('## Targets', '', markdownTable(['target', 'figure', 'met?'], r.goals.map((g) => [g.goal, g.figure, g.met === null ? 'n/a' : g.met ? 'met' : '**missed**'])), '');
  }
  out.push('## Results (ms; seed 004 = RisingWave, 4 compute nodes, 10M rows)', '');
  for (const kind of KINDS) {
    const cells = r.cells.filter((c) => c.kind === kind.id);
    if (!cells.length) continue;
    out.push(`### ${kind.text} — seed 004: p50 ${kind.seed.p50} / p99 ${kind.seed.p99} ms`, '');
    out.push(
      markdownTable(
        ['system', 'protocol', 'conns', 'QPS', 'QPS min–max (spread)', 'p50', 'p99', 'p99.9', 'server CPU µs/query', 'client CPU', 'note'],
        cells.map((c) => {
          const key = [c.system, c.protocol, String(c.connections)];
          if (!c.summary) return [...key, 'FAILED', '', '', '', '', '', '', c.failure ?? ''];
          const s = c.summary;
          const cpu = c.runs.map((x) => x.serverCpuUsPerQuery).filter((x): x is number => typeof x === 'number');
          return [
            ...key,
            ...summaryCells(s),
            cpu.length ? median(cpu).toFixed(1) : 'n/a',
            // The load generator's own CPU (% of one core, median): near 100% per client thread, the client is the limit.
            `${median(c.runs.map((x) => x.clientCpuPct)).toFixed(0)}%`,
            s.noisy ? 'noisy: spread > 20%' : '',
          ];
        }),
      ),
      '',
    );
  }
  out.push('Systems:', '', ...Object.entries(SYSTEM_TEXT).map(([k, v]) => `- \`${k}\`: ${v}`), '');
  out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

const COLORS: Record<System, string> = {
  freshet: '#e6550d',
  postgres: '#3182bd',
  'postgres-naive': '#9ecae1',
  'redis-get': '#31a354',
  'redis-hgetall': '#a1d99b',
};

export function servingCharts(r: ServingResult): ScenarioOutput['charts'] {
  const n = goalConnections(r);
  const systems = r.config.systems;
  const qps = barChart({
    title: `serving: QPS per query kind, ${n} conns (median, min–max)`,
    yLabel: 'QPS',
    series: systems.map((s) => ({ name: s, color: COLORS[s] })),
    groups: KINDS.map((k) => ({
      label: k.id,
      values: systems.map((s) => {
        const c = findCell(r, s, k.id, s.startsWith('redis') ? 'resp' : 'extended', n)?.summary;
        return c ? { value: c.median.qps, lo: c.min.qps, hi: c.max.qps } : null;
      }),
    })),
    log: true,
    format: fmtQps,
  });
  const hot = systems.flatMap((s): DistributionEntry[] => {
    const c = findCell(r, s, 'hot', s.startsWith('redis') ? 'resp' : 'extended', n);
    const run = c ? medianRun(c.runs, c.summary?.median.p50Us) : undefined;
    return run?.cdf?.length ? [{ name: s, color: COLORS[s], cdf: run.cdf }] : [];
  });
  const cdf = latencyCdfChart(`serving: hot-key latency CDF, ${n} connections (extended / RESP)`, hot);
  const hist = latencyHistogramChart(`serving: hot-key latency histogram, ${n} connections`, hot);
  return [
    { suffix: 'qps', title: 'QPS per query kind', svg: qps },
    { suffix: 'cdf', title: 'hot-key latency CDF', svg: cdf },
    { suffix: 'histogram', title: 'hot-key latency histogram', svg: hist },
  ];
}

export function servingSpreads(r: ServingResult): Spread[] {
  return r.cells
    .filter((c) => c.summary && c.runs.length > 1)
    .flatMap((c) => [
      { label: `${c.system} ${c.kind} ${c.protocol} ${c.connections}c QPS`, pct: c.summary!.spread.qpsPct },
      { label: `${c.system} ${c.kind} ${c.protocol} ${c.connections}c p99`, pct: c.summary!.spread.p99Pct },
    ]);
}

function output(r: ServingResult): ScenarioOutput {
  const goals = r.goals.map((g) => `${g.met === null ? 'n/a' : g.met ? 'met' : 'MISSED'}: ${g.goal} — ${g.figure}`);
  return {
    scenario: 'serving',
    // A SERVING_KINDS subset names its kinds in the file name (as NEXMARK_QUERIES does).
    scale: r.scale + (new Set(r.cells.map((c) => c.kind)).size < KINDS.length ? `-${[...new Set(r.cells.map((c) => c.kind))].join('-')}` : ''),
    date: r.date,
    data: r,
    markdown: renderServing(r),
    charts: servingCharts(r),
    summary: ['summary: serving', ...goals.map((g) => `  ${g}`)].join('\n'),
    spreads: servingSpreads(r),
  };
}
