/**
 * `freshness --source kafka` (issue 7: "p99 ≤ 100 ms to an MV lookup, and ≤ 200 ms to Redis,
 * at 50,000 events/s"): the seed article's pipeline as it is written, events arriving
 * through Kafka. `user_events` is the seed's `CREATE SOURCE … connector = 'kafka'` verbatim
 * (only the broker address changed) over testkit's Kafka-protocol broker in its own
 * process; the seed's three MVs verbatim on top; a Redis sink on user_session_features.
 * `transactions` (the seed's CDC source) stays a table with purchases inserted once, so
 * ml_feature_vector's LEFT JOIN has matches.
 *
 * The background load is produced to the topic at a fixed rate by a worker thread
 * (connectors-background.ts); markers are produced by this thread, one message each, and
 * the probe (freshness-probe.ts) times them from the send to the first MV lookup and the
 * first Redis GET that show the click. While the probes run, the source's backlog — messages
 * the broker acknowledged minus what the source handed to the MV (rw_mv_freshness.rows_in)
 * — is sampled, and once the load stops the time to read the rest is measured: that says
 * whether the server kept up with the rate.
 */
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import { createTopic, kafkaClient, openProducer, produceRange, startBrokerProcess, type BrokerProcess } from '../lib/connector-services';
import { clicksInMessages, createPipeline, PIPELINE_MODE_TEXT, SEED_USER_EVENTS_TOPIC, seedUserEventsSource, userEventMessage } from '../lib/feature-pipeline';
import { processTreeCpuSeconds, threadCpuSeconds } from '../lib/machine';
import { connect, FRESHET_HEAP_MB } from '../lib/pipeline-run';
import { fmtQps } from '../lib/report';
import type { ScenarioOptions } from '../lib/scenario';
import { median } from '../lib/stats';
import { startTarget, type RunningTarget } from '../lib/targets';
import { ProduceBackground } from './connectors-background-handle';
import {
  addRedisSink,
  type BackgroundLoad,
  type BackgroundStats,
  emptyRun,
  type FreshnessPreset,
  type FreshnessRun,
  type IngestPath,
  probeAtRates,
  type RedisSide,
  sleep,
  type SourceLag,
} from './freshness-probe';

/** The issue's freshness targets for the Kafka path, judged at its load. */
export const KAFKA_FRESHNESS_GOALS = { rate: 50_000, mvP99Ms: 100, redisP99Ms: 200 } as const;
const PARTITIONS = 4;
const BACKGROUND_TICK_MS = 10;
/** How often the source backlog is sampled while the probes run. */
const LAG_SAMPLE_MS = 200;
/** After the load stops, the source must read the rest within this long to count as drained. */
const DRAIN_LIMIT_MS = 30_000;
/** The MV that reads the source (ml_feature_vector reads the MVs, not the source). */
const SOURCE_MV = 'user_session_features';

/**
 * The preload read at full speed: the topic already holds it when the MVs are created, so
 * this is the seed pipeline's Kafka throughput with nothing else asked of the server — and
 * its server CPU per event, the ceiling any load meets on the engine's one thread.
 */
export interface KafkaPreloadRead {
  events: number;
  wallS: number;
  eventsPerS: number;
  cpuS: number | null;
  usPerEvent: number | null;
}

/** One Freshet server, broker and Redis; the preload produced and read; then one probe set per load. */
export async function runKafkaTarget(o: ScenarioOptions, cfg: FreshnessPreset): Promise<{ runs: FreshnessRun[]; preload: KafkaPreloadRead | null }> {
  const runs = cfg.rates.map((rate) => emptyRun('freshet', rate));
  let preload: KafkaPreloadRead | null = null;
  const failAll = (msg: string) => {
    for (const r of runs) if (!r.freshnessMs) r.failure ??= msg;
  };
  o.log('starting Freshet and the Kafka test broker, creating the seed pipeline over a Kafka source…');
  let target: RunningTarget | null = null;
  let broker: BrokerProcess | null = null;
  let redis: RedisSide | null = null;
  let path: KafkaPath | null = null;
  // Both are awaited even when one fails, so the other is stopped, not left running.
  const [t, b] = await Promise.allSettled([
    startTarget('freshet', { sharedBuffers: '', freshetProfileDir: o.profileDir, freshetHeapMb: FRESHET_HEAP_MB }),
    startBrokerProcess(o.repoRoot, PARTITIONS, o.profileDir),
  ]);
  if (t.status === 'fulfilled') target = t.value;
  if (b.status === 'fulfilled') broker = b.value;
  if (target === null || broker === null) {
    const e = t.status === 'rejected' ? t.reason : (b as PromiseRejectedResult).reason;
    await target?.stop().catch(() => {});
    await broker?.stop().catch(() => {});
    failAll((e as Error).message.split('\n')[0]);
    o.log(`  freshet: UNAVAILABLE — ${(e as Error).message.split('\n').slice(0, 10).join('\n    ')}`);
    return { runs, preload };
  }
  let sql: pg.Client | null = null;
  try {
    sql = await connect(target);
    const kafka = kafkaClient(broker.bootstrap);
    await createTopic(kafka, SEED_USER_EVENTS_TOPIC, PARTITIONS);
    const producer = await openProducer(kafka);
    // The preload is in the topic before the source exists: the source reads it from the
    // earliest offset (its default), like a pipeline created over an existing topic.
    const produceS = await produceRange(producer, SEED_USER_EVENTS_TOPIC, PARTITIONS, cfg.preload, seedMessages(cfg.users), (done) =>
      o.progress.update(`freshet: produced ${done.toLocaleString('en-US')} preload events`, done / cfg.preload),
    );
    o.progress.done(`  freshet: produced ${cfg.preload.toLocaleString('en-US')} preload events to ${SEED_USER_EVENTS_TOPIC} in ${produceS.toFixed(1)} s`);
    const pid = target.serverPid();
    const cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
    const t0 = performance.now();
    const pipeline = await createPipeline(sql, 'freshet', { userEventsSource: seedUserEventsSource(broker.bootstrap) });
    await waitForSource(sql, cfg.preload, 300_000);
    const wallS = (performance.now() - t0) / 1000;
    const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
    const cpuS = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    preload = { events: cfg.preload, wallS, eventsPerS: cfg.preload / wallS, cpuS, usPerEvent: cpuS === null ? null : (cpuS * 1e6) / cfg.preload };
    for (const r of runs) {
      r.version = target.version;
      r.mode = pipeline.mode;
      r.fallbackReason = pipeline.fallbackReason;
    }
    o.log(`  freshet: ${target.version}; broker ${broker.bootstrap} (${PARTITIONS} partitions); pipeline: ${PIPELINE_MODE_TEXT[pipeline.mode]}`);
    if (pipeline.fallbackReason) o.log(`  freshet: NOTE — verbatim MVs rejected: ${pipeline.fallbackReason}`);
    // The CDC side: one purchase per ten events, on users that have events (as the table path's stream).
    await sql.query(
      `INSERT INTO transactions SELECT g, (g * 4099) % ${cfg.users} + 1, (g % 10000 + 1) / 100.0, now() FROM generate_series(1, ${Math.max(1, Math.floor(cfg.preload / 10))}) g`,
    );
    await sql.query('FLUSH');
    await checkPreload(sql, cfg);
    o.log(
      `  freshet: the source read the ${cfg.preload.toLocaleString('en-US')} preload events in ${wallS.toFixed(1)} s (${fmtQps(preload.eventsPerS)}/s` +
        `${preload.usPerEvent === null ? '' : `, ${preload.usPerEvent.toFixed(1)} server CPU µs/event`}); user_session_features checked`,
    );
    try {
      redis = await addRedisSink(target);
    } catch (e) {
      o.log(`  freshet: Redis sink not measured — ${(e as Error).message.split('\n')[0]}`);
    }
    path = new KafkaPath(broker, target, cfg.users, producer, sql, cfg.preload);
    await probeAtRates(o, target, path, cfg, runs, cfg.preload, redis?.client ?? null);
  } catch (e) {
    failAll((e as Error).message.split('\n')[0]);
    o.log(`  freshet: FAILED — ${(e as Error).message.split('\n')[0]}\n${target.logTail()}`);
  } finally {
    await path?.close().catch(() => {});
    await sql?.end().catch(() => {});
    await redis?.close();
    // The broker first: a server still reading a backlog may not stop within testkit's 5 s
    // grace (then it is killed and a --profile is lost); without a broker it has nothing left to read.
    await broker.stop().catch(() => {});
    if (o.profileDir) await exitPatiently(target, 60_000);
    await target.stop().catch(() => {});
  }
  return { runs, preload };
}

/**
 * SIGTERM to the server we started, then up to `limitMs` for it to exit: a busy server
 * writing a long CPU profile needs more than testkit's 5 s before SIGKILL.
 */
async function exitPatiently(target: RunningTarget, limitMs: number): Promise<void> {
  const pid = target.serverPid();
  if (pid === null) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  const t0 = performance.now();
  while (alive() && performance.now() - t0 < limitMs) await sleep(50);
}

/** Preload message i (the seed stream, timestamped when produced). */
function seedMessages(users: number): (i: number) => string {
  let iso = new Date().toISOString();
  return (i) => {
    if (i % 1000 === 0) iso = new Date().toISOString();
    return userEventMessage(i, users, iso);
  };
}

/** Messages the source has handed to user_session_features (rows_in: every message, as the source reader belongs to that MV). */
async function sourceRowsIn(sql: pg.Client): Promise<number> {
  const q = await sql.query({ text: 'SELECT rows_in FROM rw_catalog.rw_mv_freshness WHERE name = $1', values: [SOURCE_MV], rowMode: 'array' });
  return Number(q.rows[0]?.[0] ?? 0);
}

/** Waits until the source has read `n` messages; seconds taken. Throws after `limitMs`. */
async function waitForSource(sql: pg.Client, n: number, limitMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const got = await sourceRowsIn(sql);
    if (got >= n) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > limitMs) throw new Error(`the Kafka source read ${got} of ${n} messages within ${limitMs / 1000} s`);
    await sleep(20);
  }
}

/** The MV must count exactly the preload: one row per user with events, and its clicks. */
async function checkPreload(sql: pg.Client, cfg: FreshnessPreset): Promise<void> {
  const q = await sql.query({ text: `SELECT count(*), sum(clicks_30m) FROM ${SOURCE_MV}`, rowMode: 'array' });
  const got = q.rows[0].map(String);
  const want = [Math.min(cfg.users, cfg.preload), clicksInMessages(cfg.preload)].map(String);
  if (got.join() !== want.join()) throw new Error(`user_session_features after the preload: count, sum(clicks_30m) = ${got.join(', ')}, expected ${want.join(', ')}`);
}

/** The Kafka path: background and markers are produced to the seed's topic; freshness is timed from the marker's send. */
class KafkaPath implements IngestPath {
  readonly origin = 'send';
  private markers = 0;

  constructor(
    private readonly broker: BrokerProcess,
    private readonly target: RunningTarget,
    private readonly users: number,
    private readonly producer: Producer,
    private readonly sql: pg.Client,
    /** Messages acknowledged outside a running background load (preload, earlier loads, markers are added live). */
    private ackedOutside: number,
  ) {}

  async writeMarker(user: number): Promise<void> {
    await this.producer.send({
      topic: SEED_USER_EVENTS_TOPIC,
      acks: -1,
      messages: [{ value: `{"user_id":${user},"event_type":"click","item_id":1,"timestamp":"${new Date().toISOString()}"}`, partition: user % PARTITIONS }],
    });
    this.markers++;
  }

  async startBackground(rate: number, firstEvent: number): Promise<BackgroundLoad> {
    const cpu0 = this.cpuMark();
    const bg = await ProduceBackground.start({
      bootstrap: this.broker.bootstrap,
      topic: SEED_USER_EVENTS_TOPIC,
      rate,
      users: this.users,
      partitions: PARTITIONS,
      tickMs: BACKGROUND_TICK_MS,
      message: 'seed-user-events',
      firstIndex: firstEvent,
    });
    const markers0 = this.markers;
    const acked = () => this.ackedOutside + bg.acked() + (this.markers - markers0);
    const sampler = new LagSampler(this.sql, acked, rate);
    return {
      rate: () => bg.rate(),
      stop: async (): Promise<BackgroundStats> => {
        const stats = await bg.stop();
        const lag = await sampler.stop();
        this.ackedOutside += stats.acked + (this.markers - markers0);
        const drainMs = await this.drain(this.ackedOutside);
        const cpu1 = this.cpuMark();
        const d = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
        return {
          cpuSplit: {
            wallS: (cpu1.at - cpu0.at) / 1000,
            serverS: d(cpu0.server, cpu1.server),
            engineS: d(cpu0.engine, cpu1.engine),
            brokerS: d(cpu0.broker, cpu1.broker),
            clientS: cpu1.client - cpu0.client,
          },
          targetRate: rate,
          achievedRate: stats.achievedRate,
          events: stats.acked,
          maxLagMs: stats.maxLagMs,
          errors: stats.errors,
          sourceLag: { ...lag, drainMs },
        };
      },
    };
  }

  /** CPU-seconds so far of the server (and its main thread), the broker and this process (all its threads). */
  private cpuMark(): { at: number; server: number | null; engine: number | null; broker: number | null; client: number } {
    const pid = this.target.serverPid();
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      server: pid === null ? null : processTreeCpuSeconds(pid),
      engine: pid === null ? null : threadCpuSeconds(pid),
      broker: this.broker.pid === null ? null : processTreeCpuSeconds(this.broker.pid),
      client: (u.user + u.system) / 1e6,
    };
  }

  /** Time until the source has read `total` messages, ms; null past DRAIN_LIMIT_MS. */
  private async drain(total: number): Promise<number | null> {
    const t0 = performance.now();
    for (;;) {
      if ((await sourceRowsIn(this.sql)) >= total) return performance.now() - t0;
      if (performance.now() - t0 > DRAIN_LIMIT_MS) return null;
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** Samples the source backlog (acknowledged − read) every LAG_SAMPLE_MS while a load runs. */
class LagSampler {
  private readonly backlogs: number[] = [];
  private readonly reads: [number, number][] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly sql: pg.Client,
    private readonly acked: () => number,
    private readonly rate: number,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const produced = this.acked();
      const read = await sourceRowsIn(this.sql).catch(() => null);
      if (read !== null) {
        // The worker reports acknowledgements after the fact, so a sample can read a little
        // more than `produced` says: that is no backlog.
        this.backlogs.push(Math.max(0, produced - read));
        this.reads.push([performance.now(), read]);
      }
      await sleep(LAG_SAMPLE_MS);
    }
  }

  async stop(): Promise<Omit<SourceLag, 'drainMs'>> {
    // The backlog at the moment the load stopped: one more sample before the loop ends.
    const atStop = Math.max(0, this.acked() - (await sourceRowsIn(this.sql)));
    this.stopped = true;
    await this.loop;
    const b = this.backlogs;
    const max = b.length ? Math.max(...b) : atStop;
    const [first, last] = [this.reads[0], this.reads[this.reads.length - 1]];
    return {
      samples: b.length,
      maxBacklog: max,
      maxBacklogS: max / this.rate,
      medianBacklog: b.length ? median(b) : 0,
      backlogAtStop: atStop,
      consumedRate: first && last && last[0] > first[0] ? ((last[1] - first[1]) * 1000) / (last[0] - first[0]) : null,
    };
  }
}

/**
 * Whether the server kept up with a run's load: the source read at (≥ 95% of) the rate the
 * broker acknowledged, and read the rest within 1 s once the load stopped. A short stall
 * shows as a large max backlog, reported separately; null without lag data.
 */
export function keptUp(r: FreshnessRun): boolean | null {
  const l = r.background.sourceLag;
  if (!l) return null;
  return l.drainMs !== null && l.drainMs < 1000 && (l.consumedRate === null || l.consumedRate >= 0.95 * r.background.achievedRate);
}

/** The preload line of the report: the pipeline's Kafka throughput and CPU per event with no probes. */
export function preloadText(p: KafkaPreloadRead): string {
  return (
    `Preload read at full speed (the topic held ${p.events.toLocaleString('en-US')} events when the MVs were created): **${fmtQps(p.eventsPerS)} events/s**` +
    (p.usPerEvent === null ? '' : `, ${p.usPerEvent.toFixed(1)} server CPU µs per event (≈ ${fmtQps(1e6 / p.usPerEvent)} events per server CPU-second)`) +
    ' — the seed pipeline through Kafka with nothing else asked of the server (includes creating the MVs).'
  );
}

/** Notes only the Kafka path needs. */
export function kafkaNotes(runs: FreshnessRun[]): string[] {
  const notes = [
    "Pipeline: the seed's `CREATE SOURCE user_events … WITH (connector = 'kafka', topic = 'user-events', …) FORMAT PLAIN ENCODE JSON` verbatim with `properties.bootstrap.server` pointed at testkit's Kafka-protocol broker (its own node process, " +
      `${PARTITIONS} partitions; no real Kafka can be installed here), the seed's three MVs verbatim over it, and \`CREATE SINK usf_redis FROM user_session_features WITH (connector = 'redis', redis.key.format = 'usf:{user_id}')\` (seed 000 names Redis as the serving cache but declares no sink; the form is seed 004's). ` +
      "`transactions` (the seed's postgres-cdc source) is a table here, loaded once with purchases; the background load is user events only. PostgreSQL has no Kafka source and is not run.",
    'Background: the seed stream\'s user events as JSON messages (~100 bytes, timestamped when produced), from a worker thread of the benchmark process at a fixed rate (open loop, what is due every 10 ms, requests of up to 5,000 messages, 4 outstanding, acks = all); the achieved rate counts messages the broker acknowledged. ' +
      `Source backlog = messages acknowledged − messages the source handed to user_session_features (rw_mv_freshness.rows_in), sampled every ${LAG_SAMPLE_MS} ms during the probes; "drained" = time after the load stopped until the source had read every message (limit ${DRAIN_LIMIT_MS / 1000} s). A backlog that stays near one sample interval of messages and drains in tens of ms means the server kept up.`,
    'The prober polls the MV back to back, as a client waiting for a feature would: those lookups cost server CPU too (at 1,000 events/s most of the server\'s CPU is them), which the CPU per event figures include.',
  ];
  for (const r of runs) {
    const l = r.background.sourceLag;
    if (!l) continue;
    const read = l.consumedRate === null ? 'n/a' : `${fmtQps(l.consumedRate)}/s`;
    if (!keptUp(r))
      notes.push(
        `freshet @ ${fmtQps(r.rate)}/s: **the server did not keep up** — the source read ${read} of ${fmtQps(r.background.achievedRate)}/s produced; backlog up to ${l.maxBacklog.toLocaleString('en-US')} messages (${l.maxBacklogS.toFixed(1)} s of load), ${l.drainMs === null ? 'not drained' : `drained ${l.drainMs.toFixed(0)} ms`} after the load stopped.`,
      );
    else if (l.maxBacklogS > 0.5)
      notes.push(`freshet @ ${fmtQps(r.rate)}/s: kept up on average (read ${read}), but the backlog reached ${l.maxBacklog.toLocaleString('en-US')} messages (${l.maxBacklogS.toFixed(1)} s of load) at its worst: a stall.`);
  }
  for (const r of runs) {
    const c = r.background.cpuSplit;
    if (!c) continue;
    const f = (x: number | null) => (x === null ? 'n/a' : (x / c.wallS).toFixed(2));
    const sum = (c.serverS ?? 0) + (c.brokerS ?? 0) + c.clientS;
    notes.push(
      `freshet @ ${fmtQps(r.rate)}/s, cores used over the whole load (${c.wallS.toFixed(1)} s): server ${f(c.serverS)}` +
        `${c.engineS == null ? '' : ` (its engine thread ${f(c.engineS)}${r.background.events ? `, ${((c.engineS * 1e6) / r.background.events).toFixed(1)} µs per event produced` : ''})`}, broker ${f(c.brokerS)}, benchmark process (producer worker, probes) ${f(c.clientS)} — ${(sum / c.wallS).toFixed(2)} together.`,
    );
  }
  // CPU per event read says what one core can sustain, whatever else ran on the machine.
  const costed = runs.filter((r) => r.serverCpu && r.rate >= 10_000);
  if (costed.length)
    notes.push(
      'Server CPU per event read: ' +
        costed.map((r) => `${r.serverCpu!.usPerEvent.toFixed(1)} µs at ${fmtQps(r.rate)}/s (≈ ${fmtQps(1e6 / r.serverCpu!.usPerEvent)} events per server CPU-second)`).join(', ') +
        '. The engine runs its dataflow on one thread (GC and storage threads aside, which these figures include), so a load well above that figure cannot be kept up with, however idle the machine.',
    );
  return notes;
}
