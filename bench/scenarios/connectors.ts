/**
 * Connectors (issue 5, "Done means"): three measurements against real services on this
 * machine, each with the issue's target.
 *
 * - **kafka-ingest** (≥ 200,000 messages/s): N JSON messages are produced into a
 *   multi-partition topic *before* anything reads it; then a Kafka source and a GROUP BY MV
 *   over it. Timed from CREATE MATERIALIZED VIEW until the MV's count reaches N, so the
 *   figure is Freshet's consumption (fetch, JSON parse, aggregate), not the producer.
 *   Each repeat is a new MV over the same source (read from `earliest`), dropped after.
 * - **redis-sink** (≥ 100,000 keys/s): a table of N keys, then CREATE SINK … FROM it
 *   (connector = 'redis', UPSERT JSON), timed until Redis holds N keys (DBSIZE). The
 *   ceiling is the same N keys and values written straight from this process with ioredis,
 *   pipelined SET (redis-benchmark -P style) and MSET; `redis-benchmark` itself is
 *   reported when installed. The sink is reported as a ratio of the pipelined-SET ceiling.
 * - **kafka-redis-freshness** (p99 ≤ 200 ms): Kafka source → GROUP BY MV → Redis sink under
 *   a fixed background produce rate; each probe produces one message for a new user and
 *   polls `GET` back to back until Redis has the user's row. Freshness = first GET that
 *   returns the row − the start of the produce call (so the producer's round trip counts).
 *
 * One Freshet server (`freshet start`, on-disk data dir), one broker process and one Redis
 * serve all three parts. `CONNECTORS_PARTS=kafka-ingest,redis-sink` runs a subset.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import { createTopic, kafkaClient, openProducer, produceRange, startBrokerProcess, type BrokerProcess } from '../lib/connector-services';
import { ProduceBackground } from './connectors-background-handle';
import { machineInfo, machineLine, peakRssMiB, processTreeCpuSeconds, type MachineInfo } from '../lib/machine';
import { connect } from '../lib/pipeline-run';
import { fmtQps, fmtRatio, markdownTable } from '../lib/report';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { median, NOISY_SPREAD_PCT, percentile, spreadPct } from '../lib/stats';
import { barChart } from '../lib/svg';
import { startTarget, type RunningTarget } from '../lib/targets';
import { startRedis, type RedisServer } from '@freshet/testkit';

export const CONNECTOR_GOALS = { kafkaIngestPerS: 200_000, redisSinkKeysPerS: 100_000, freshnessP99Ms: 200 } as const;
export const CONNECTOR_PARTS = ['kafka-ingest', 'redis-sink', 'kafka-redis-freshness'] as const;
type Part = (typeof CONNECTOR_PARTS)[number];

interface ConnectorsPreset {
  /** kafka-ingest: messages pre-produced; users = GROUP BY keys. */
  messages: number;
  users: number;
  partitions: number;
  /** redis-sink: keys. */
  redisKeys: number;
  /** kafka-redis-freshness: background messages/s, probes, warm-up. */
  rate: number;
  probes: number;
  warmupS: number;
  timeoutS: number;
}

const PRESETS: Record<string, ConnectorsPreset> = {
  quick: { messages: 300_000, users: 10_000, partitions: 4, redisKeys: 300_000, rate: 2_000, probes: 200, warmupS: 3, timeoutS: 180 },
  small: { messages: 300_000, users: 10_000, partitions: 4, redisKeys: 300_000, rate: 2_000, probes: 200, warmupS: 3, timeoutS: 180 },
  full: { messages: 5_000_000, users: 100_000, partitions: 4, redisKeys: 2_000_000, rate: 10_000, probes: 1000, warmupS: 5, timeoutS: 1800 },
};
const HEAP_MB = 16384;
const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 5000;
/** Pause between a probe's GETs: a back-to-back poller would take a core from the server on this 2-core machine. */
const GET_PAUSE_MS = 1;
const BACKGROUND_TICK_MS = 10;
const RAW_PIPELINE = 1000;
const RAW_IN_FLIGHT = 8;

export interface RepeatedFigure {
  runs: number[];
  median: number;
  min: number;
  max: number;
  spreadPct: number;
  noisy: boolean;
}

/**
 * CPU seconds each service used over a measured window: the Freshet server (all its
 * threads and children), the broker process, and redis-server (its own INFO cpu).
 */
export interface CpuSplit {
  wallS: number;
  serverS: number | null;
  brokerS: number | null;
  redisS: number | null;
  loadAverage1m: number;
}

export interface KafkaIngestResult {
  messages: number;
  users: number;
  partitions: number;
  produceS: number;
  produceRate: number;
  runs: { wallS: number; cpuS: number | null; messagesPerS: number; messagesPerCpuS: number | null; mvRows: number; counted: number; loadAverage1m: number; cpu?: CpuSplit }[];
  rate: RepeatedFigure | null;
  perCpuS: RepeatedFigure | null;
  goalMet: boolean | null;
  failure?: string;
}

export interface RedisSinkResult {
  keys: number;
  loadS: number;
  sinkRuns: { wallS: number; cpuS: number | null; keysPerS: number; loadAverage1m: number; cpu?: CpuSplit }[];
  sink: RepeatedFigure | null;
  /** Keys per CPU-second of the Freshet server (Redis's own CPU not included). */
  sinkPerCpuS: RepeatedFigure | null;
  rawSet: RepeatedFigure | null;
  rawMset: RepeatedFigure | null;
  redisBenchmark: number | null;
  ratioToRaw: number | null;
  goalMet: boolean | null;
  failure?: string;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface FreshnessResult {
  rate: number;
  users: number;
  probes: number;
  timeouts: number;
  freshnessMs: Percentiles | null;
  produceAckMs: Percentiles | null;
  getMs: Percentiles | null;
  background: { achievedRate: number; messages: number; maxLagMs: number; errors: number };
  /** Over the probes (background load included). */
  cpu?: CpuSplit;
  goalMet: boolean | null;
  failure?: string;
}

export interface ConnectorsResult {
  scenario: 'connectors';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: ConnectorsPreset & { repeats: number; parts: Part[] };
  freshetVersion: string;
  /** barrier_interval_ms and checkpoint_frequency: sinks commit on checkpoints, which bounds freshness. */
  engine: Record<string, string>;
  freshetPeakRssMiB: number | null;
  kafkaIngest?: KafkaIngestResult;
  redisSink?: RedisSinkResult;
  freshness?: FreshnessResult;
  loadAverages: number[];
  notes: string[];
}

export const connectors: Scenario = {
  name: 'connectors',
  description: 'Kafka JSON → GROUP BY MV msg/s, Redis sink keys/s (vs raw ioredis), Kafka → Redis freshness',
  run: async (o) => output(await run(o)),
};

function presetFor(o: ScenarioOptions): ConnectorsPreset {
  const p = PRESETS[o.scale] ?? PRESETS.quick;
  return {
    ...p,
    messages: o.pipeline.events ?? p.messages,
    users: o.pipeline.users ?? p.users,
    redisKeys: Number(process.env.CONNECTORS_REDIS_KEYS) || p.redisKeys,
    rate: o.pipeline.rate ?? p.rate,
    probes: o.pipeline.probes ?? p.probes,
  };
}

function partsToRun(): Part[] {
  const env = process.env.CONNECTORS_PARTS;
  if (!env) return [...CONNECTOR_PARTS];
  const parts = env.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!CONNECTOR_PARTS.includes(p as Part)) throw new Error(`CONNECTORS_PARTS: unknown part ${p} (expected ${CONNECTOR_PARTS.join(', ')})`);
  return parts as Part[];
}

export function repeated(xs: number[]): RepeatedFigure | null {
  if (!xs.length) return null;
  const s = spreadPct(xs);
  return { runs: xs, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), spreadPct: s, noisy: s > NOISY_SPREAD_PCT };
}

// max by reduce: a spread of a few hundred thousand GET timings overflows the stack.
const summarize = (xs: number[]): Percentiles | null =>
  xs.length ? { p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99), max: xs.reduce((a, b) => (b > a ? b : a), -Infinity) } : null;
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const load1 = () => Math.round(loadavg()[0] * 100) / 100;
const firstLine = (e: unknown) => (e as Error).message.split('\n')[0];

interface Services {
  freshet: RunningTarget;
  sql: pg.Client;
  broker: BrokerProcess;
  redis: RedisServer;
  /** A connection for INFO cpu (redis-server's own CPU time). */
  redisInfo: Redis;
}

interface CpuMark {
  at: number;
  server: number | null;
  broker: number | null;
  redis: number | null;
}

async function cpuMark(s: Services): Promise<CpuMark> {
  const pid = s.freshet.serverPid();
  let redis: number | null = null;
  try {
    const info = await s.redisInfo.info('cpu');
    const f = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    const v = f('used_cpu_sys') + f('used_cpu_user');
    redis = Number.isFinite(v) ? v : null;
  } catch {
    redis = null;
  }
  return { at: performance.now(), server: pid === null ? null : processTreeCpuSeconds(pid), broker: s.broker.pid === null ? null : processTreeCpuSeconds(s.broker.pid), redis };
}

function cpuSince(a: CpuMark, b: CpuMark): CpuSplit {
  const d = (x: number | null, y: number | null) => (x === null || y === null ? null : Math.max(0, y - x));
  return { wallS: (b.at - a.at) / 1000, serverS: d(a.server, b.server), brokerS: d(a.broker, b.broker), redisS: d(a.redis, b.redis), loadAverage1m: load1() };
}

const cpuText = (c: CpuSplit | undefined) =>
  c ? `over ${c.wallS.toFixed(1)} s: Freshet server ${c.serverS?.toFixed(2) ?? 'n/a'} CPU-s, broker ${c.brokerS?.toFixed(2) ?? 'n/a'}, redis-server ${c.redisS?.toFixed(2) ?? 'n/a'} (load avg ${c.loadAverage1m.toFixed(1)})` : 'n/a';

async function run(o: ScenarioOptions): Promise<ConnectorsResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const cfg = presetFor(o);
  const parts = partsToRun();
  o.log(machineLine(machine));
  o.log(
    `plan: ${parts.join(', ')}; ${o.repeats} repeat(s). kafka-ingest ${cfg.messages.toLocaleString('en-US')} messages over ${cfg.partitions} partitions, ` +
      `${cfg.users.toLocaleString('en-US')} keys; redis-sink ${cfg.redisKeys.toLocaleString('en-US')} keys; freshness ${cfg.probes} probes under ${fmtQps(cfg.rate)} msg/s`,
  );
  const loads: number[] = [load1()];
  const result: ConnectorsResult = {
    scenario: 'connectors',
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine,
    config: { ...cfg, repeats: o.repeats, parts },
    freshetVersion: '',
    engine: {},
    freshetPeakRssMiB: null,
    loadAverages: loads,
    notes: [],
  };
  o.log('starting Freshet, the Kafka test broker and Redis…');
  const [freshet, broker, redis] = await Promise.all([
    startTarget('freshet', { sharedBuffers: '', freshetProfileDir: o.profileDir, freshetHeapMb: HEAP_MB }),
    startBrokerProcess(o.repoRoot, cfg.partitions, o.profileDir),
    startRedis(),
  ]);
  const services: Services = { freshet, broker, redis, sql: await connect(freshet), redisInfo: new Redis(redis.url, { protocol: 2 } as never) };
  result.freshetVersion = freshet.version;
  result.engine = await engineParams(services.sql);
  o.log(`  freshet ${freshet.version} on ${freshet.port}; broker ${broker.bootstrap}; redis ${redis.url}`);
  try {
    if (parts.includes('kafka-ingest')) result.kafkaIngest = await kafkaIngest(o, services, cfg);
    loads.push(load1());
    if (parts.includes('redis-sink')) result.redisSink = await redisSink(o, services, cfg);
    loads.push(load1());
    if (parts.includes('kafka-redis-freshness')) result.freshness = await kafkaRedisFreshness(o, services, cfg);
    loads.push(load1());
    const pid = freshet.serverPid();
    result.freshetPeakRssMiB = pid === null ? null : peakRssMiB(pid);
  } finally {
    await services.sql.end().catch(() => {});
    services.redisInfo.disconnect();
    await Promise.all([freshet.stop().catch(() => {}), broker.stop().catch(() => {}), redis.close().catch(() => {})]);
  }
  result.finishedAt = new Date().toISOString();
  result.notes = notesFor(result);
  return result;
}

async function engineParams(sql: pg.Client): Promise<Record<string, string>> {
  try {
    const q = await sql.query('SELECT barrier_interval_ms, checkpoint_frequency FROM rw_catalog.rw_checkpoint_status');
    const row = q.rows[0] ?? {};
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------
// kafka-ingest

const EVENT_TYPES = ['click', 'view', 'add_to_cart', 'purchase'];
const FIXED_TS = '2026-11-21T12:00:00Z';

/** Message i of the ingest topic: a pure function of i, so the expected totals are known. */
export function ingestMessage(i: number, users: number): string {
  return `{"user_id":${((i * 7919) % users) + 1},"event_type":"${EVENT_TYPES[i & 3]}","item_id":${i % 5000},"amount":${(i % 1000) / 10},"ts":"${FIXED_TS}"}`;
}

async function kafkaIngest(o: ScenarioOptions, s: Services, cfg: ConnectorsPreset): Promise<KafkaIngestResult> {
  const r: KafkaIngestResult = {
    messages: cfg.messages,
    users: cfg.users,
    partitions: cfg.partitions,
    produceS: 0,
    produceRate: 0,
    runs: [],
    rate: null,
    perCpuS: null,
    goalMet: null,
  };
  const kafka = kafkaClient(s.broker.bootstrap);
  try {
    await createTopic(kafka, 'bench_events', cfg.partitions);
    const producer = await openProducer(kafka);
    try {
      r.produceS = await produceRange(producer, 'bench_events', cfg.partitions, cfg.messages, (i) => ingestMessage(i, cfg.users), (done) =>
        o.progress.update(`kafka-ingest: produced ${done.toLocaleString('en-US')} messages`, done / cfg.messages),
      );
    } finally {
      await producer.disconnect();
    }
    r.produceRate = cfg.messages / r.produceS;
    o.progress.done(`  kafka-ingest: pre-produced ${cfg.messages.toLocaleString('en-US')} messages in ${r.produceS.toFixed(1)} s (${fmtQps(r.produceRate)}/s, producer side, not the figure)`);
    await s.sql.query(
      `CREATE SOURCE bench_events (user_id BIGINT, event_type VARCHAR, item_id BIGINT, amount DOUBLE PRECISION, ts TIMESTAMPTZ) ` +
        `WITH (connector = 'kafka', topic = 'bench_events', properties.bootstrap.server = '${s.broker.bootstrap}', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON`,
    );
    const expectedRows = Math.min(cfg.users, cfg.messages);
    const pid = s.freshet.serverPid();
    for (let k = 0; k < o.repeats; k++) {
      const mv = `bench_agg_${k}`;
      const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
      const mark0 = await cpuMark(s);
      const t0 = Date.now();
      await s.sql.query(`CREATE MATERIALIZED VIEW ${mv} AS SELECT user_id, count(*) AS n, sum(amount) AS amount, max(ts) AS last_ts FROM bench_events GROUP BY user_id`);
      // Poll the engine's counters (cheap), not the MV: a full GROUP BY scan every poll would
      // take a visible share of the very CPU being measured. The count is checked once at the end.
      let doneAt = 0;
      let rowsIn = 0;
      for (;;) {
        await sleep(POLL_MS);
        const q = await s.sql.query({ text: 'SELECT rows_in, lag_ms FROM rw_catalog.rw_mv_freshness WHERE name = $1', values: [mv], rowMode: 'array' });
        rowsIn = Number(q.rows[0]?.[0] ?? 0);
        const lag = Number(q.rows[0]?.[1] ?? 1);
        doneAt = Date.now();
        o.progress.update(`kafka-ingest run ${k + 1}/${o.repeats}: ${rowsIn.toLocaleString('en-US')} / ${cfg.messages.toLocaleString('en-US')}`, rowsIn / cfg.messages);
        if (rowsIn >= cfg.messages && lag === 0) break;
        if ((doneAt - t0) / 1000 > cfg.timeoutS) break;
      }
      const check = await s.sql.query({ text: `SELECT coalesce(sum(n), 0), count(*) FROM ${mv}`, rowMode: 'array' });
      const counted = Number(check.rows[0][0]);
      const rows = Number(check.rows[0][1]);
      const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
      const end = (await outputChangedAt(s.sql, mv, t0, doneAt)) ?? doneAt;
      const wallS = Math.max(1e-3, (end - t0) / 1000);
      const cpuS = cpu0 !== null && cpu1 !== null ? Math.max(0.01, cpu1 - cpu0) : null;
      const run = { wallS, cpuS, messagesPerS: counted / wallS, messagesPerCpuS: cpuS === null ? null : counted / cpuS, mvRows: rows, counted, loadAverage1m: load1(), cpu: cpuSince(mark0, await cpuMark(s)) };
      r.runs.push(run);
      o.progress.done(
        `  kafka-ingest run ${k + 1}/${o.repeats}: ${fmtQps(run.messagesPerS)} msg/s (${wallS.toFixed(2)} s, ${run.messagesPerCpuS === null ? '-' : fmtQps(run.messagesPerCpuS)} msg per server CPU-s), ` +
          `${counted.toLocaleString('en-US')} counted, ${rows.toLocaleString('en-US')} MV rows`,
      );
      if (counted !== cfg.messages || rows !== expectedRows)
        r.failure = `MV ${mv} counted ${counted} of ${cfg.messages} messages in ${rows} rows (expected ${expectedRows})${counted < cfg.messages ? `: time limit ${cfg.timeoutS} s` : ''}`;
      await s.sql.query(`DROP MATERIALIZED VIEW ${mv}`);
      if (r.failure) break;
    }
    await s.sql.query('DROP SOURCE bench_events').catch(() => {});
  } catch (e) {
    r.failure = firstLine(e);
    o.log(`  kafka-ingest: FAILED — ${r.failure}\n${s.freshet.logTail()}`);
  }
  r.rate = repeated(r.runs.map((x) => x.messagesPerS));
  const cpu = r.runs.map((x) => x.messagesPerCpuS).filter((x): x is number => x !== null);
  r.perCpuS = repeated(cpu);
  r.goalMet = r.rate && !r.failure ? r.rate.median >= CONNECTOR_GOALS.kafkaIngestPerS : null;
  return r;
}

/** The MV's last output change by the server's clock (rw_mv_freshness), when it lies in [t0, doneAt]. */
async function outputChangedAt(sql: pg.Client, mv: string, t0: number, doneAt: number): Promise<number | null> {
  try {
    const q = await sql.query({ text: 'SELECT output_changed_at FROM rw_catalog.rw_mv_freshness WHERE name = $1', values: [mv], rowMode: 'array' });
    const v = q.rows[0]?.[0];
    const ms = typeof v === 'string' ? Date.parse(v.replace(' ', 'T')) : NaN;
    return Number.isFinite(ms) && ms >= t0 && ms <= doneAt ? ms : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// redis-sink

/** Key and value exactly as the sink writes row `i` of `bench_rs` (FORMAT UPSERT ENCODE JSON). */
export function redisSinkPair(i: number): [string, string] {
  return [`{"id":${i}}`, `{"id":${i},"n":${i % 100},"amount":${i * 0.5},"label":"user-${i}"}`];
}

async function redisSink(o: ScenarioOptions, s: Services, cfg: ConnectorsPreset): Promise<RedisSinkResult> {
  const r: RedisSinkResult = { keys: cfg.redisKeys, loadS: 0, sinkRuns: [], sink: null, sinkPerCpuS: null, rawSet: null, rawMset: null, redisBenchmark: null, ratioToRaw: null, goalMet: null };
  const redis = new Redis(s.redis.url, { protocol: 2 } as never);
  const raw: { set: number[]; mset: number[] } = { set: [], mset: [] };
  try {
    const t0 = performance.now();
    await s.sql.query('CREATE TABLE bench_rs (id BIGINT PRIMARY KEY, n BIGINT, amount DOUBLE PRECISION, label VARCHAR)');
    const chunk = 50_000;
    for (let from = 1; from <= cfg.redisKeys; from += chunk) {
      const to = Math.min(cfg.redisKeys, from + chunk - 1);
      await s.sql.query(`INSERT INTO bench_rs SELECT g, g % 100, g * 0.5, 'user-' || g::varchar FROM generate_series(${from}, ${to}) g`);
      o.progress.update(`redis-sink: loaded ${to.toLocaleString('en-US')} rows`, to / cfg.redisKeys);
    }
    await s.sql.query('FLUSH');
    r.loadS = (performance.now() - t0) / 1000;
    o.progress.done(`  redis-sink: table of ${cfg.redisKeys.toLocaleString('en-US')} rows loaded in ${r.loadS.toFixed(1)} s`);
    const [k1, v1] = redisSinkPair(1);
    const pairs: string[] = [];
    for (let i = 1; i <= cfg.redisKeys; i++) pairs.push(...redisSinkPair(i));
    // One unrecorded pass of each raw writer: JIT and connection warm-up, as the sink's code is warm after run 1.
    await rawPipelinedSet(redis, pairs.slice(0, Math.min(pairs.length, 100_000)));
    await rawMset(redis, pairs.slice(0, Math.min(pairs.length, 100_000)));
    const pid = s.freshet.serverPid();
    for (let k = 0; k < o.repeats; k++) {
      // Raw ceiling and sink interleaved, so drift on the machine hits both alike.
      await redis.flushall();
      raw.set.push(await rawPipelinedSet(redis, pairs));
      await redis.flushall();
      raw.mset.push(await rawMset(redis, pairs));
      await redis.flushall();
      const sink = `bench_rs_sink_${k}`;
      const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
      const mark0 = await cpuMark(s);
      const start = performance.now();
      await s.sql.query(`CREATE SINK ${sink} FROM bench_rs WITH (connector = 'redis', redis.url = '${s.redis.url}', primary_key = 'id') FORMAT UPSERT ENCODE JSON`);
      let n = 0;
      for (;;) {
        n = await redis.dbsize();
        if (n >= cfg.redisKeys || (performance.now() - start) / 1000 > cfg.timeoutS) break;
        o.progress.update(`redis-sink run ${k + 1}/${o.repeats}: ${n.toLocaleString('en-US')} keys`, n / cfg.redisKeys);
        await sleep(5);
      }
      const wallS = (performance.now() - start) / 1000;
      const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
      const got = await redis.get(k1);
      if (n < cfg.redisKeys) r.failure = `sink delivered ${n} of ${cfg.redisKeys} keys within ${cfg.timeoutS} s`;
      else if (got !== v1) r.failure = `sink wrote ${JSON.stringify(got)} for key ${k1}, expected ${v1}`;
      const run = { wallS, cpuS: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, keysPerS: n / wallS, loadAverage1m: load1(), cpu: cpuSince(mark0, await cpuMark(s)) };
      r.sinkRuns.push(run);
      o.progress.done(
        `  redis-sink run ${k + 1}/${o.repeats}: sink ${fmtQps(run.keysPerS)} keys/s (${wallS.toFixed(2)} s) | raw pipelined SET ${fmtQps(raw.set[k])}, MSET ${fmtQps(raw.mset[k])} keys/s`,
      );
      await s.sql.query(`DROP SINK ${sink}`);
      if (r.failure) break;
    }
    await redis.flushall();
    r.redisBenchmark = await redisBenchmarkSet(s.redis.port, Math.min(cfg.redisKeys, 1_000_000));
    await s.sql.query('DROP TABLE bench_rs').catch(() => {});
  } catch (e) {
    r.failure = firstLine(e);
    o.log(`  redis-sink: FAILED — ${r.failure}\n${s.freshet.logTail()}`);
  } finally {
    redis.disconnect();
  }
  r.sink = repeated(r.sinkRuns.map((x) => x.keysPerS));
  r.sinkPerCpuS = repeated(r.sinkRuns.map((x) => (x.cpuS ? r.keys / Math.max(0.01, x.cpuS) : 0)).filter((x) => x > 0));
  r.rawSet = repeated(raw.set);
  r.rawMset = repeated(raw.mset);
  r.ratioToRaw = r.sink && r.rawSet ? r.sink.median / r.rawSet.median : null;
  r.goalMet = r.sink && !r.failure ? r.sink.median >= CONNECTOR_GOALS.redisSinkKeysPerS : null;
  return r;
}

/**
 * keys/s writing `pairs` (key, value, key, value, …) in batches of RAW_PIPELINE keys with
 * RAW_IN_FLIGHT batches outstanding; `send` writes keys [from, to).
 */
async function rawKeysPerS(pairs: string[], send: (from: number, to: number) => Promise<unknown>): Promise<number> {
  const n = pairs.length / 2;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + RAW_PIPELINE);
      next = to;
      await send(from, to);
    }
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, worker));
  return n / ((performance.now() - t0) / 1000);
}

/** keys/s of pipelined SETs (one pipeline per batch). */
function rawPipelinedSet(redis: Redis, pairs: string[]): Promise<number> {
  return rawKeysPerS(pairs, (from, to) => {
    const p = redis.pipeline();
    for (let i = from; i < to; i++) p.set(pairs[2 * i], pairs[2 * i + 1]);
    return p.exec();
  });
}

/** keys/s of MSETs (one per batch): how the sink writes. */
function rawMset(redis: Redis, pairs: string[]): Promise<number> {
  return rawKeysPerS(pairs, (from, to) => redis.mset(pairs.slice(2 * from, 2 * to)));
}

/** `redis-benchmark -t set -P 16` requests/s, or null when the tool is missing. */
async function redisBenchmarkSet(port: number, n: number): Promise<number | null> {
  try {
    const { stdout } = await promisify(execFile)('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-P', '16', '-n', String(n), '-r', String(n), '-d', '60', '-q'], {
      timeout: 120_000,
    });
    const m = /SET:\s*([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// kafka-redis-freshness

async function kafkaRedisFreshness(o: ScenarioOptions, s: Services, cfg: ConnectorsPreset): Promise<FreshnessResult> {
  const r: FreshnessResult = {
    rate: cfg.rate,
    users: cfg.users,
    probes: 0,
    timeouts: 0,
    freshnessMs: null,
    produceAckMs: null,
    getMs: null,
    background: { achievedRate: 0, messages: 0, maxLagMs: 0, errors: 0 },
    goalMet: null,
  };
  const kafka = kafkaClient(s.broker.bootstrap);
  const redis = new Redis(s.redis.url, { protocol: 2 } as never);
  let background: ProduceBackground | null = null;
  let marker: Producer | null = null;
  try {
    await redis.flushall();
    await createTopic(kafka, 'fresh_events', cfg.partitions);
    await s.sql.query(
      `CREATE SOURCE fresh_events (user_id BIGINT, seq BIGINT, amount DOUBLE PRECISION) ` +
        `WITH (connector = 'kafka', topic = 'fresh_events', properties.bootstrap.server = '${s.broker.bootstrap}', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON`,
    );
    await s.sql.query('CREATE MATERIALIZED VIEW fresh_latest AS SELECT user_id, count(*) AS n, max(seq) AS last_seq FROM fresh_events GROUP BY user_id');
    await s.sql.query(`CREATE SINK fresh_sink FROM fresh_latest WITH (connector = 'redis', redis.url = '${s.redis.url}', primary_key = 'user_id') FORMAT UPSERT ENCODE JSON`);
    background = await startBackground(s.broker.bootstrap, cfg);
    marker = await openProducer(kafka);
    await sleep(cfg.warmupS * 1000);
    const mark0 = await cpuMark(s);
    const fresh: number[] = [];
    const acks: number[] = [];
    const gets: number[] = [];
    for (let k = 0; k < cfg.probes; k++) {
      const user = cfg.users + 1 + k;
      const key = `{"user_id":${user}}`;
      const t0 = performance.now();
      await marker.send({ topic: 'fresh_events', acks: -1, messages: [{ value: `{"user_id":${user},"seq":${k},"amount":1}`, partition: k % cfg.partitions }] });
      acks.push(performance.now() - t0);
      let seen: number | null = null;
      for (;;) {
        const g0 = performance.now();
        const v = await redis.get(key);
        const now = performance.now();
        gets.push(now - g0);
        if (v !== null) {
          seen = now - t0;
          break;
        }
        if (now - t0 > PROBE_TIMEOUT_MS) break;
        await sleep(GET_PAUSE_MS);
      }
      if (seen === null) r.timeouts++;
      else fresh.push(seen);
      o.progress.update(
        `freshness: probe ${k + 1}/${cfg.probes}, last ${seen === null ? 'TIMEOUT' : `${seen.toFixed(1)} ms`}, background ${fmtQps(cfg.rate)} msg/s target`,
        (k + 1) / cfg.probes,
      );
      await sleep(5 + Math.random() * 20);
    }
    r.probes = cfg.probes;
    r.cpu = cpuSince(mark0, await cpuMark(s));
    const bg = await background.stop();
    background = null;
    r.background = { achievedRate: bg.achievedRate, messages: bg.acked, maxLagMs: bg.maxLagMs, errors: bg.errors };
    r.freshnessMs = summarize(fresh);
    r.produceAckMs = summarize(acks);
    r.getMs = summarize(gets);
    if (r.timeouts) r.failure = `${r.timeouts} of ${cfg.probes} probes not in Redis within ${PROBE_TIMEOUT_MS} ms`;
    if (r.background.errors) r.failure = `${r.failure ? `${r.failure}; ` : ''}${r.background.errors} background produce requests failed`;
    const f = r.freshnessMs;
    o.progress.done(
      `  freshness: p50 ${f ? ms(f.p50) : '-'} p99 ${f ? ms(f.p99) : '-'} max ${f ? ms(f.max) : '-'} ms | produce ack p50 ${ms(r.produceAckMs!.p50)} ms` +
        ` | background ${fmtQps(r.background.achievedRate)} msg/s (max lag ${r.background.maxLagMs.toFixed(0)} ms)${r.failure ? ` | ${r.failure}` : ''}`,
    );
  } catch (e) {
    r.failure = firstLine(e);
    o.log(`  freshness: FAILED — ${r.failure}\n${s.freshet.logTail()}`);
  } finally {
    if (background) await background.stop().catch(() => {});
    await marker?.disconnect().catch(() => {});
    redis.disconnect();
  }
  r.goalMet = r.freshnessMs && !r.failure ? r.freshnessMs.p99 <= CONNECTOR_GOALS.freshnessP99Ms : r.failure ? false : null;
  return r;
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** The freshness part's background load (connectors-background.ts, in a worker thread). */
async function startBackground(bootstrap: string, cfg: ConnectorsPreset): Promise<ProduceBackground> {
  return ProduceBackground.start({ bootstrap, topic: 'fresh_events', rate: cfg.rate, users: cfg.users, partitions: cfg.partitions, tickMs: BACKGROUND_TICK_MS });
}

// ---------------------------------------------------------------------------------------
// report

function notesFor(r: ConnectorsResult): string[] {
  const m = r.machine;
  const notes: string[] = [];
  const hi = Math.max(...r.loadAverages);
  notes.push(
    `This machine has ${m.cores} cores, shared by Freshet, the broker process, Redis, the benchmark client and other work: ` +
      `1-minute load average ${Math.min(...r.loadAverages).toFixed(1)}–${hi.toFixed(1)} during the run` +
      `${hi > m.cores ? ' — **the machine was overloaded; wall-clock figures are depressed and noisy**. Per-CPU-second figures are less affected' : ''}.`,
  );
  const noisy = [
    r.kafkaIngest?.rate?.noisy ? 'kafka-ingest' : '',
    r.redisSink?.sink?.noisy ? 'redis-sink' : '',
    r.redisSink?.rawSet?.noisy ? 'raw SET ceiling' : '',
  ].filter(Boolean);
  if (noisy.length) notes.push(`Spread (max − min) / median above ${NOISY_SPREAD_PCT}% — treat as noisy: ${noisy.join(', ')}.`);
  notes.push(
    'The Kafka broker is testkit\'s Kafka-protocol test broker (no Kafka can be installed here), run as its own node process; real Kafka would serve fetches at least as fast. Messages are uncompressed JSON, ~100 bytes.',
  );
  if (r.kafkaIngest) notes.push('kafka-ingest is timed from CREATE MATERIALIZED VIEW to the MV\'s last change (rw_mv_freshness.output_changed_at, else the poll, every 100 ms, that saw rows_in = N and lag 0); the MV\'s count is then checked against N. The producer ran before and is not in the figure.');
  if (r.redisSink)
    notes.push(
      'redis-sink is timed from CREATE SINK to DBSIZE = N (it includes reading the table snapshot); the raw ceilings write the same keys and values from this process with ioredis, ' +
        `${RAW_PIPELINE} commands per pipeline (or keys per MSET), ${RAW_IN_FLIGHT} outstanding, one connection. ` +
        'ioredis builds a command object and a promise per pipelined SET, so from one Node client that ceiling is CPU-bound in the client and can sit below the sink, which writes one multi-key MSET per batch: ' +
        'raw MSET is the like-for-like ceiling, `redis-benchmark` (C, -P 16) the server\'s.',
    );
  if (r.freshness)
    notes.push(
      `Freshness runs from the start of the marker's produce call (acks = all) to the first GET that returns the row; GETs are ${GET_PAUSE_MS} ms apart, so the resolution is about one GET round trip plus ${GET_PAUSE_MS}–2 ms. ` +
        'The path: producer → broker → Freshet fetch → JSON → GROUP BY MV → Redis sink commit (per epoch) → Redis. ' +
        'The background load comes from a worker thread of the benchmark process (its own event loop, so it does not delay the probes), sending what is due every 10 ms in requests of up to 5,000 messages, up to 4 outstanding.',
    );
  return notes;
}


const spread = (f: RepeatedFigure | null) => (f ? `${fmtQps(f.min)}–${fmtQps(f.max)} (${f.spreadPct.toFixed(0)}%)${f.noisy ? ' **noisy**' : ''}` : 'n/a');
const met = (x: boolean | null) => (x === null ? 'n/a' : x ? 'met' : '**missed**');

export interface GoalRow {
  part: Part;
  figure: string;
  target: string;
  met: boolean | null;
  ratioToRaw: string;
}

export function goalRows(r: ConnectorsResult): GoalRow[] {
  const rows: GoalRow[] = [];
  const k = r.kafkaIngest;
  if (k)
    rows.push({
      part: 'kafka-ingest',
      figure: k.rate ? `${fmtQps(k.rate.median)} msg/s` : `FAILED${k.failure ? `: ${k.failure}` : ''}`,
      target: `≥ ${fmtQps(CONNECTOR_GOALS.kafkaIngestPerS)} msg/s`,
      met: k.goalMet,
      ratioToRaw: k.rate ? `producer pre-load ${fmtQps(k.produceRate)} msg/s (${fmtRatio(k.rate.median / k.produceRate)})` : 'n/a',
    });
  const s = r.redisSink;
  if (s)
    rows.push({
      part: 'redis-sink',
      figure: s.sink ? `${fmtQps(s.sink.median)} keys/s` : `FAILED${s.failure ? `: ${s.failure}` : ''}`,
      target: `≥ ${fmtQps(CONNECTOR_GOALS.redisSinkKeysPerS)} keys/s`,
      met: s.goalMet,
      ratioToRaw:
        s.ratioToRaw !== null && s.rawSet
          ? `${fmtRatio(s.ratioToRaw)} of raw pipelined SET (${fmtQps(s.rawSet.median)} keys/s)` +
            `${s.sink && s.rawMset ? `; ${fmtRatio(s.sink.median / s.rawMset.median)} of raw MSET (${fmtQps(s.rawMset.median)})` : ''}` +
            `${s.sink && s.redisBenchmark ? `; ${fmtRatio(s.sink.median / s.redisBenchmark)} of redis-benchmark (${fmtQps(s.redisBenchmark)})` : ''}`
          : 'n/a',
    });
  const f = r.freshness;
  if (f)
    rows.push({
      part: 'kafka-redis-freshness',
      figure: f.freshnessMs ? `p99 ${ms(f.freshnessMs.p99)} ms (p50 ${ms(f.freshnessMs.p50)})` : `FAILED${f.failure ? `: ${f.failure}` : ''}`,
      target: `p99 ≤ ${CONNECTOR_GOALS.freshnessP99Ms} ms`,
      met: f.goalMet,
      ratioToRaw: f.produceAckMs && f.getMs ? `produce ack p50 ${ms(f.produceAckMs.p50)} ms + GET p50 ${ms(f.getMs.p50)} ms` : 'n/a',
    });
  return rows;
}

export function renderConnectors(r: ConnectorsResult): { markdown: string; summary: string } {
  const m = r.machine;
  const c = r.config;
  const out: string[] = [];
  out.push(`# connectors — ${r.date}`, '');
  out.push(
    `Scale **${r.scale}**, ${c.repeats} repeat(s), median reported; parts: ${c.parts.join(', ')}. Freshet ${r.freshetVersion} (\`freshet start\`, on-disk data dir), ` +
      `testkit's Kafka-protocol broker (${c.partitions} partitions), Redis 7 (Debian), all on loopback.` +
      (r.engine.barrier_interval_ms ? ` Engine: barrier every ${r.engine.barrier_interval_ms} ms, checkpoint every ${r.engine.checkpoint_frequency} barriers.` : ''),
    '',
  );
  out.push(
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
  );
  out.push('## Goals', '');
  out.push(markdownTable(['part', 'figure (median)', 'target', 'met?', 'reference'], goalRows(r).map((g) => [g.part, `**${g.figure}**`, g.target, met(g.met), g.ratioToRaw])), '');
  const k = r.kafkaIngest;
  if (k) {
    out.push('## kafka-ingest', '');
    out.push(
      `${k.messages.toLocaleString('en-US')} JSON messages pre-produced into ${k.partitions} partitions (${k.produceS.toFixed(1)} s by kafkajs), ` +
        `\`CREATE SOURCE … FORMAT PLAIN ENCODE JSON\`, then per run \`CREATE MATERIALIZED VIEW … SELECT user_id, count(*), sum(amount), max(ts) … GROUP BY user_id\` (${k.users.toLocaleString('en-US')} keys).`,
      '',
    );
    out.push(
      markdownTable(
        ['run', 'seconds', 'msg/s', 'msg per server CPU-s', 'counted', 'MV rows', 'load avg'],
        k.runs.map((x, i) => [String(i + 1), x.wallS.toFixed(2), fmtQps(x.messagesPerS), x.messagesPerCpuS === null ? 'n/a' : fmtQps(x.messagesPerCpuS), x.counted.toLocaleString('en-US'), x.mvRows.toLocaleString('en-US'), x.loadAverage1m.toFixed(1)]),
      ),
      '',
      `Median ${k.rate ? fmtQps(k.rate.median) : 'n/a'} msg/s, min–max ${spread(k.rate)}; per server CPU-second ${k.perCpuS ? fmtQps(k.perCpuS.median) : 'n/a'}.${k.failure ? ` **${k.failure}**` : ''}`,
      '',
      ...k.runs.filter((x) => x.cpu).map((x, i) => `CPU split, run ${i + 1}, ${cpuText(x.cpu)}.`),
      '',
    );
  }
  const s = r.redisSink;
  if (s) {
    out.push('## redis-sink', '');
    out.push(`A table of ${s.keys.toLocaleString('en-US')} rows (loaded in ${s.loadS.toFixed(1)} s), \`CREATE SINK … FROM bench_rs WITH (connector = 'redis', primary_key = 'id') FORMAT UPSERT ENCODE JSON\` per run.`, '');
    out.push(
      markdownTable(
        ['writer', 'keys/s (median)', 'min–max (spread)', 'vs raw pipelined SET'],
        [
          ['Freshet Redis sink', s.sink ? `**${fmtQps(s.sink.median)}**` : 'n/a', spread(s.sink), s.ratioToRaw === null ? 'n/a' : fmtRatio(s.ratioToRaw)],
          [`raw ioredis pipelined SET (${RAW_PIPELINE}/pipeline)`, s.rawSet ? fmtQps(s.rawSet.median) : 'n/a', spread(s.rawSet), '1.00×'],
          [`raw ioredis MSET (${RAW_PIPELINE} keys, as the sink writes)`, s.rawMset ? fmtQps(s.rawMset.median) : 'n/a', spread(s.rawMset), s.rawMset && s.rawSet ? fmtRatio(s.rawMset.median / s.rawSet.median) : 'n/a'],
          ['redis-benchmark -t set -P 16', s.redisBenchmark === null ? 'n/a' : fmtQps(s.redisBenchmark), '1 run', s.redisBenchmark && s.rawSet ? fmtRatio(s.redisBenchmark / s.rawSet.median) : 'n/a'],
        ],
      ),
      '',
    );
    if (s.sinkPerCpuS) out.push(`Freshet server CPU: ${fmtQps(s.sinkPerCpuS.median)} keys per CPU-second (median; Redis's own CPU not included).`, '');
    for (const [i, x] of s.sinkRuns.entries()) if (x.cpu) out.push(`CPU split, sink run ${i + 1}, ${cpuText(x.cpu)}.`, '');
    if (s.failure) out.push(`**${s.failure}**`, '');
  }
  const f = r.freshness;
  if (f) {
    const p = (x: Percentiles | null) => (x ? `${ms(x.p50)} / ${ms(x.p90)} / ${ms(x.p99)} / ${ms(x.max)}` : 'n/a');
    out.push('## kafka-redis-freshness (ms: p50 / p90 / p99 / max)', '');
    out.push(
      `Kafka source → \`fresh_latest\` (GROUP BY user_id) → Redis sink (UPSERT JSON), ${fmtQps(f.rate)} msg/s background (${fmtQps(f.background.achievedRate)} achieved, max lag ${f.background.maxLagMs.toFixed(0)} ms) over ${f.users.toLocaleString('en-US')} users; ${f.probes} probes, ${f.timeouts} timeouts.`,
      '',
    );
    out.push(markdownTable(['figure', 'ms'], [['**produce → GET returns the row**', `**${p(f.freshnessMs)}**`], ['marker produce ack', p(f.produceAckMs)], ['one GET round trip', p(f.getMs)]]), '');
    if (f.cpu) out.push(`CPU split during the probes (the benchmark client, which produces the background load, not included), ${cpuText(f.cpu)}.`, '');
    if (f.failure) out.push(`**${f.failure}**`, '');
  }
  if (r.freshetPeakRssMiB !== null) out.push(`Freshet peak RSS: ${r.freshetPeakRssMiB} MiB.`, '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  const summary = `summary: connectors (${r.scale}, load avg ${Math.max(...r.loadAverages).toFixed(1)} on ${m.cores} cores) — ${goalRows(r)
    .map((g) => `${g.part} ${g.figure} (target ${g.target}: ${g.met === null ? 'n/a' : g.met ? 'met' : 'MISSED'})`)
    .join(' | ')}`;
  return { markdown: out.join('\n'), summary };
}

export function throughputChart(r: ConnectorsResult): string {
  const groups: { label: string; measured: { value: number; lo?: number; hi?: number } | null; target: number | null }[] = [];
  const fig = (f: RepeatedFigure | null) => (f ? { value: f.median, lo: f.min, hi: f.max } : null);
  if (r.kafkaIngest) groups.push({ label: 'Kafka → MV\nmsg/s', measured: fig(r.kafkaIngest.rate), target: CONNECTOR_GOALS.kafkaIngestPerS });
  if (r.redisSink) {
    groups.push({ label: 'Redis sink\nkeys/s', measured: fig(r.redisSink.sink), target: CONNECTOR_GOALS.redisSinkKeysPerS });
    groups.push({ label: 'raw ioredis\nSET keys/s', measured: fig(r.redisSink.rawSet), target: null });
    groups.push({ label: 'raw ioredis\nMSET keys/s', measured: fig(r.redisSink.rawMset), target: null });
  }
  return barChart({
    title: `connectors: throughput vs target (median of ${r.config.repeats}, min–max)`,
    yLabel: 'per second',
    series: [
      { name: 'measured', color: '#e6550d' },
      { name: 'target', color: '#bbbbbb' },
    ],
    groups: groups.map((g) => ({ label: g.label, values: [g.measured, g.target === null ? null : { value: g.target }] })),
    labels: true,
    format: fmtQps,
  });
}

export function freshnessChart(r: ConnectorsResult): string {
  const f = r.freshness?.freshnessMs;
  const pts: [string, number][] = f ? [['p50', f.p50], ['p90', f.p90], ['p99', f.p99], ['max', f.max]] : [];
  return barChart({
    title: `Kafka produce → visible in Redis (ms; target p99 ≤ ${CONNECTOR_GOALS.freshnessP99Ms})`,
    yLabel: 'ms',
    series: [{ name: 'freshness', color: '#e6550d' }],
    groups: [...pts.map(([label, v]) => ({ label, values: [{ value: Math.max(v, 0.001) }] })), { label: 'target p99', values: [{ value: CONNECTOR_GOALS.freshnessP99Ms }] }],
    log: true,
    labels: true,
    format: (v) => (v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2)))),
  });
}

function output(r: ConnectorsResult): ScenarioOutput {
  const { markdown, summary } = renderConnectors(r);
  const charts = [];
  if (r.kafkaIngest || r.redisSink) charts.push({ suffix: 'throughput', title: 'connectors throughput', svg: throughputChart(r) });
  if (r.freshness) charts.push({ suffix: 'freshness', title: 'Kafka → Redis freshness', svg: freshnessChart(r) });
  return { scenario: 'connectors', scale: r.scale, date: r.date, data: r, markdown, summary, charts };
}
