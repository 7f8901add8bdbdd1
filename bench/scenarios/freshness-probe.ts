/**
 * The freshness probe, shared by both ingest paths of the freshness scenario (INSERTs into
 * tables: freshness.ts; the seed's Kafka source: freshness-kafka.ts). A path supplies the
 * background load and the marker write; everything measured after the write — the MV
 * lookups, the Redis reads, the serving query, the server's CPU — is the same code.
 *
 * A probe writes one `click` for a marker user that has never had an event, then polls
 * `SELECT clicks_30m FROM user_session_features WHERE user_id = $1` (prepared, its own
 * connection, back to back) until the answer says 1, and — with the Redis sink — GETs the
 * user's key (1 ms apart) until its JSON says `"clicks_30m":1`. Both compare values, so an
 * empty or stale row never counts as visible. Probes are spaced by a random 5–25 ms so they
 * do not lock onto the barrier interval's phase.
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { startRedis, type RedisServer } from '@freshet/testkit';
import type { PipelineMode } from '../lib/feature-pipeline';
import { userOfEventOrdinal } from '../lib/feature-pipeline';
import { processTreeCpuSeconds } from '../lib/machine';
import { connect } from '../lib/pipeline-run';
import { fmtQps } from '../lib/report';
import type { ScenarioOptions } from '../lib/scenario';
import { percentile } from '../lib/stats';
import type { RunningTarget, TargetName } from '../lib/targets';

/** A probe not visible after this long counts as a timeout (and fails the target). */
export const PROBE_TIMEOUT_MS = 5000;
/** Serving queries on ml_feature_vector timed after the probes (for information). */
export const SERVING_QUERIES = 50;
const SERVING_SQL = `SELECT
clicks_30m,
views_30m,
unique_items_30m,
purchase_count_7d,
purchase_value_7d
FROM ml_feature_vector
WHERE user_id = $1`;
/**
 * A load the server has fallen behind on times every probe out (5 s each): after this many
 * in a row the probe set stops, so a failed load costs seconds, not minutes.
 */
const MAX_CONSECUTIVE_TIMEOUTS = 5;
/** Key layout of the Redis sink the scenario adds on user_session_features. */
export const REDIS_KEY_PREFIX = 'usf:';

export interface FreshnessPreset {
  users: number;
  /** Events loaded (and flushed) before measuring, so the MVs are not empty. */
  preload: number;
  /** The first (or only) background load, events/s. */
  rate: number;
  /** Every background load measured, events/s, in order: one probe set each on the same server. */
  rates: number[];
  probes: number;
  warmupS: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Whether the server kept up with a Kafka background load: messages the broker had
 * acknowledged that the source had not yet handed to the MV (rows_in of
 * rw_catalog.rw_mv_freshness), sampled while the probes ran, and how long the source took
 * to read everything once the load stopped.
 */
export interface SourceLag {
  samples: number;
  /** Largest backlog seen, messages, and as seconds of the load. */
  maxBacklog: number;
  maxBacklogS: number;
  /** Median backlog over the samples, messages. */
  medianBacklog: number;
  /** Backlog when the load stopped, and the time until the source had read every message (null: not within the limit). */
  backlogAtStop: number;
  drainMs: number | null;
  /** Messages/s the source read between the first and last sample (null: too few samples). */
  consumedRate: number | null;
}

export interface BackgroundStats {
  targetRate: number;
  achievedRate: number;
  events: number;
  maxLagMs: number;
  errors: number;
  /** Kafka path only. */
  sourceLag?: SourceLag;
  /**
   * Kafka path: CPU-seconds each process used over the whole load (warm-up, probes, drain
   * wait): the server, the broker, and the benchmark process (producer worker, probes). On a
   * 2-core machine their sum against 2 × wall says whether the machine itself was the limit.
   */
  /** CPU seconds over the load; `engineS`: the server's main thread alone (its dataflow). */
  cpuSplit?: { wallS: number; serverS: number | null; engineS?: number | null; brokerS: number | null; clientS: number };
}

export interface FreshnessRun {
  target: TargetName;
  /** The background load this run was measured under (target events/s). */
  rate: number;
  version: string;
  mode?: PipelineMode;
  fallbackReason?: string;
  /** What freshness is measured from: the write's acknowledgement (INSERT) or its send (Kafka produce). Absent: ack. */
  origin?: 'ack' | 'send';
  probes: number;
  timeouts: number;
  /** Marker write (origin) → the value visible in the lookup, ms. */
  freshnessMs: Percentiles | null;
  /** The marker write's own round trip (send → acknowledgement), ms. */
  insertMs: Percentiles | null;
  /** Every poll's round trip: the point lookup's latency under load, ms. */
  lookupMs: Percentiles | null;
  meanPollsPerProbe: number;
  /** The seed article's serving query on ml_feature_vector by user_id, under the same load, ms. */
  servingMs: Percentiles | null;
  /** Marker write (origin) → the value in Redis (Freshet's Redis sink), ms; null without Redis. */
  redisMs?: Percentiles | null;
  redisTimeouts?: number;
  /** [seconds since the first probe, freshness ms] of every visible probe: freshness over time. */
  series?: [number, number][];
  background: BackgroundStats;
  /** Server CPU over the probe window (background load included): seconds, and µs per background event. */
  serverCpu?: { wallS: number; cpuS: number; usPerEvent: number };
  loadAverage1m: [number, number];
  failure?: string;
}

/** A background load running through one ingest path. */
export interface BackgroundLoad {
  /** Achieved events/s so far (for the progress line). */
  rate(): number;
  stop(): Promise<BackgroundStats>;
}

/** How events reach the pipeline: INSERTs into tables, or messages produced to Kafka. */
export interface IngestPath {
  origin: 'ack' | 'send';
  /** Starts `rate` events/s from event index `firstEvent` on. */
  startBackground(rate: number, firstEvent: number): Promise<BackgroundLoad>;
  /** Writes one click for `user`; resolves once the write is acknowledged. */
  writeMarker(user: number): Promise<void>;
  close(): Promise<void>;
}

export const summarize = (xs: number[]): Percentiles | null =>
  xs.length ? { p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99), max: xs.reduce((a, b) => (b > a ? b : a), -Infinity) } : null;
export const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
export const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

export function emptyRun(name: TargetName, rate: number): FreshnessRun {
  return {
    target: name,
    rate,
    version: '',
    probes: 0,
    timeouts: 0,
    freshnessMs: null,
    insertMs: null,
    lookupMs: null,
    meanPollsPerProbe: 0,
    servingMs: null,
    background: { targetRate: rate, achievedRate: 0, events: 0, maxLagMs: 0, errors: 0 },
    loadAverage1m: [loadavg()[0], 0],
  };
}

/** Redis, the seed-004-style sink on user_session_features into it, and a client to poll it. */
export interface RedisSide {
  server: RedisServer;
  client: Redis;
  close(): Promise<void>;
}

export async function addRedisSink(target: RunningTarget): Promise<RedisSide> {
  const server = await startRedis();
  try {
    const c = await connect(target);
    try {
      await c.query(`CREATE SINK usf_redis FROM user_session_features WITH (connector = 'redis', redis.url = '${server.url}', redis.key.format = '${REDIS_KEY_PREFIX}{user_id}')`);
    } finally {
      await c.end();
    }
  } catch (e) {
    await server.close().catch(() => {});
    throw e;
  }
  const client = new Redis({ host: '127.0.0.1', port: server.port, protocol: 2 } as never);
  return {
    server,
    client,
    async close() {
      client.disconnect();
      await server.close().catch(() => {});
    },
  };
}

/** Whether the sink's JSON value for a marker user shows its one click (a stale or empty value does not). */
export function redisShowsMarker(value: string | null): boolean {
  if (value === null) return false;
  try {
    return Number((JSON.parse(value) as Record<string, unknown>).clicks_30m) === 1;
  } catch {
    return false;
  }
}

/**
 * Every load's probe set in turn on one server: background events continue from
 * `firstEvent`, and each set's markers are new users after the previous set's.
 */
export async function probeAtRates(
  o: ScenarioOptions,
  target: RunningTarget,
  path: IngestPath,
  cfg: FreshnessPreset,
  runs: readonly FreshnessRun[],
  firstEvent: number,
  redis: Redis | null,
): Promise<void> {
  let next = firstEvent;
  let marker = cfg.users + 1;
  for (const r of runs) {
    const probed = await probeAtRate(o, target, path, cfg, r, next, marker, redis);
    next += probed.events;
    marker += cfg.probes;
  }
}

/** One probe set under one background load through `path`; fills `r`. Returns the background events written. */
export async function probeAtRate(
  o: ScenarioOptions,
  target: RunningTarget,
  path: IngestPath,
  cfg: FreshnessPreset,
  r: FreshnessRun,
  firstEvent: number,
  firstMarker: number,
  redis: Redis | null,
): Promise<{ events: number }> {
  const name = r.target;
  r.origin = path.origin;
  r.loadAverage1m[0] = loadavg()[0];
  const background = await path.startBackground(r.rate, firstEvent);
  let events = 0;
  try {
    await sleep(cfg.warmupS * 1000);
    const probe = await Prober.open(target, path, redis);
    const fresh: number[] = [];
    const inserts: number[] = [];
    const lookups: number[] = [];
    const inRedis: number[] = [];
    const series: [number, number][] = [];
    let redisTimeouts = 0;
    let polls = 0;
    let done = 0;
    let timeoutsInARow = 0;
    const pid = target.serverPid();
    const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
    const t0 = performance.now();
    try {
      for (let k = 0; k < cfg.probes; k++) {
        const p = await probe.once(firstMarker + k, lookups);
        done++;
        polls += p.polls;
        inserts.push(p.insertMs);
        timeoutsInARow = p.freshMs === null ? timeoutsInARow + 1 : 0;
        if (p.freshMs === null) r.timeouts++;
        else {
          fresh.push(p.freshMs);
          series.push([Math.round(performance.now() - t0) / 1000, p.freshMs]);
        }
        if (p.redisMs !== undefined) {
          if (p.redisMs === null) redisTimeouts++;
          else inRedis.push(p.redisMs);
        }
        o.progress.update(
          `${name} @ ${fmtQps(r.rate)}/s: probe ${k + 1}/${cfg.probes}, last ${p.freshMs === null ? 'TIMEOUT' : `${p.freshMs.toFixed(1)} ms`}, background ${fmtQps(background.rate())} events/s`,
          (k + 1) / cfg.probes,
        );
        if (timeoutsInARow >= MAX_CONSECUTIVE_TIMEOUTS) break;
        await sleep(5 + Math.random() * 20);
      }
      r.servingMs = summarize(await probe.serving(cfg.users, SERVING_QUERIES));
    } finally {
      await probe.close();
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
    r.background = await background.stop();
    events = r.background.events;
    if (cpu0 !== null && cpu1 !== null) {
      const cpuS = cpu1 - cpu0;
      // Per event the server processed: what the Kafka source read when known (it can lag the producer), else what was written.
      const perS = r.background.sourceLag?.consumedRate ?? r.background.achievedRate;
      r.serverCpu = { wallS, cpuS, usPerEvent: (cpuS * 1e6) / Math.max(1, perS * wallS) };
    }
    r.probes = done;
    r.freshnessMs = summarize(fresh);
    r.insertMs = summarize(inserts);
    r.lookupMs = summarize(lookups);
    r.meanPollsPerProbe = polls / Math.max(1, done);
    r.series = series;
    if (redis) {
      r.redisMs = summarize(inRedis);
      r.redisTimeouts = redisTimeouts;
    }
    r.loadAverage1m[1] = loadavg()[0];
    if (r.timeouts)
      r.failure =
        `${r.timeouts} of ${done} probes not visible within ${PROBE_TIMEOUT_MS} ms` +
        (done < cfg.probes ? ` (stopped after ${MAX_CONSECUTIVE_TIMEOUTS} in a row, ${cfg.probes - done} not run)` : '');
    if (r.background.errors) r.failure = `${r.failure ? `${r.failure}; ` : ''}${r.background.errors} background writes failed`;
    const f = r.freshnessMs;
    const lag = r.background.sourceLag;
    o.progress.done(
      `  ${name} @ ${fmtQps(r.rate)} events/s: freshness p50 ${f ? ms(f.p50) : '-'} p99 ${f ? ms(f.p99) : '-'} max ${f ? ms(f.max) : '-'} ms` +
        (r.redisMs ? ` | in Redis p50 ${ms(r.redisMs.p50)} p99 ${ms(r.redisMs.p99)} ms` : '') +
        ` | marker ack p50 ${ms(r.insertMs!.p50)} ms | lookup p50 ${ms(r.lookupMs!.p50)} p99 ${ms(r.lookupMs!.p99)} ms` +
        ` | background ${fmtQps(r.background.achievedRate)} events/s (max lag ${r.background.maxLagMs.toFixed(0)} ms)` +
        (lag ? ` | source backlog max ${lag.maxBacklog.toLocaleString('en-US')} msgs, drained in ${lag.drainMs === null ? 'n/a' : `${lag.drainMs.toFixed(0)} ms`}` : '') +
        (r.serverCpu ? ` | server ${r.serverCpu.usPerEvent.toFixed(1)} CPU µs/event` : '') +
        (r.failure ? ` | ${r.failure}` : ''),
    );
  } finally {
    if (!events) events = (await background.stop().catch(() => r.background)).events;
  }
  return { events };
}

/** The probe's lookup connection (the marker goes through the ingest path) and, optionally, Redis. */
class Prober {
  private constructor(
    private readonly path: IngestPath,
    private readonly reader: pg.Client,
    private readonly redis: Redis | null,
  ) {}

  static async open(t: RunningTarget, path: IngestPath, redis: Redis | null = null): Promise<Prober> {
    return new Prober(path, await connect(t), redis);
  }

  /**
   * One probe for a fresh `user`; pushes every poll's round trip into `lookups`. With Redis,
   * its key is polled (GET, 1 ms apart) at the same time as the MV.
   */
  async once(user: number, lookups: number[]): Promise<{ freshMs: number | null; insertMs: number; polls: number; redisMs?: number | null }> {
    const u = String(user);
    const sent = performance.now();
    await this.path.writeMarker(user);
    const acked = performance.now();
    const origin = this.path.origin === 'send' ? sent : acked;
    const inRedis = this.redis ? this.pollRedis(u, origin) : undefined;
    const mv = await this.pollMv(u, origin, lookups);
    return { ...mv, insertMs: acked - sent, ...(inRedis ? { redisMs: await inRedis } : {}) };
  }

  private async pollRedis(user: string, origin: number): Promise<number | null> {
    for (;;) {
      const v = await this.redis!.get(REDIS_KEY_PREFIX + user);
      const now = performance.now();
      if (redisShowsMarker(v)) return now - origin;
      if (now - origin > PROBE_TIMEOUT_MS) return null;
      await sleep(1);
    }
  }

  private async pollMv(u: string, origin: number, lookups: number[]): Promise<{ freshMs: number | null; polls: number }> {
    let polls = 0;
    for (;;) {
      const s = performance.now();
      const res = await this.reader.query({ name: 'lookup', text: 'SELECT clicks_30m FROM user_session_features WHERE user_id = $1', values: [u], rowMode: 'array' });
      const now = performance.now();
      lookups.push(now - s);
      polls++;
      if (res.rows.length === 1 && String(res.rows[0][0]) === '1') return { freshMs: now - origin, polls };
      if (now - origin > PROBE_TIMEOUT_MS) return { freshMs: null, polls };
    }
  }

  /** Round trips of the seed serving query for `n` users spread over 1..users, ms. */
  async serving(users: number, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      // Users of the first preloaded events: they certainly have a feature row.
      const res = await this.reader.query({ name: 'serving', text: SERVING_SQL, values: [String(userOfEventOrdinal(i, users))], rowMode: 'array' });
      out.push(performance.now() - s);
      if (res.rows.length !== 1) throw new Error(`serving query for a preloaded user returned ${res.rows.length} rows`);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.reader.end();
  }
}
