/**
 * Freshness (issues 3 and 7): the time from a new event to its value being visible in a
 * point lookup on the MV (and in Redis through a sink), under a steady background load.
 *
 * Two ingest paths share the probe (freshness-probe.ts) and this report:
 * - `--source insert` (default, here): the seed's sources as tables. Each probe INSERTs one
 *   `click` for a marker user that never had an event; freshness is measured from the
 *   INSERT's acknowledgement.
 * - `--source kafka` (freshness-kafka.ts): the seed's `CREATE SOURCE user_events … kafka`
 *   verbatim over testkit's Kafka-protocol broker; background and markers are produced to
 *   Kafka, freshness is measured from the marker's send. Freshet only.
 *
 * The background load runs on other connections at a fixed rate (open loop: batches
 * every 10 ms, catching up back to back when behind) through the same pipeline.
 * PostgreSQL, in the same run, serves the same lookup from a regular view over an indexed
 * table, so its freshness is one lookup's round trip: the price is computing the
 * aggregate on every read, which the lookup latency columns show.
 */
import type pg from 'pg';
import { lineChart } from '../lib/line-chart';
import type { Spread } from '../lib/run-conditions';
import { eventBatch, insertSql, PIPELINE_MODE_TEXT, TX_EVERY } from '../lib/feature-pipeline';
import { machineInfo, machineLine, type MachineInfo } from '../lib/machine';
import { connect, insertEvents, settle, startPipelineTarget, timestampNow } from '../lib/pipeline-run';
import { fmtQps, fmtRatio, markdownTable } from '../lib/report';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import type { RunningTarget, TargetName } from '../lib/targets';
import { KAFKA_FRESHNESS_GOALS, type KafkaPreloadRead, kafkaNotes, keptUp, preloadText, runKafkaTarget } from './freshness-kafka';
import {
  addRedisSink,
  type BackgroundLoad,
  type BackgroundStats,
  emptyRun,
  type FreshnessPreset,
  type FreshnessRun,
  type IngestPath,
  ms,
  type Percentiles,
  probeAtRates,
  type RedisSide,
  SERVING_QUERIES,
  sleep,
} from './freshness-probe';

export type { FreshnessRun, Percentiles } from './freshness-probe';

export const FRESHNESS_GOALS = { p50Ms: 20, p99Ms: 100 } as const;
const BACKGROUND_TICK_MS = 10;
const BACKGROUND_CONNECTIONS = 2;

/** How events reach the pipeline: `insert` (tables, the default) or `kafka` (the seed's Kafka source, freshness-kafka.ts). */
export type FreshnessSource = 'insert' | 'kafka';

const PRESETS: Record<string, Omit<FreshnessPreset, 'rate'>> = {
  quick: { users: 10_000, preload: 100_000, rates: [1_000, 10_000, 50_000], probes: 150, warmupS: 2 },
  small: { users: 10_000, preload: 100_000, rates: [1_000, 10_000, 50_000], probes: 150, warmupS: 2 },
  full: { users: 100_000, preload: 1_000_000, rates: [1_000, 10_000, 50_000], probes: 1000, warmupS: 5 },
};

export interface FreshnessResult {
  scenario: 'freshness';
  /** Absent in results written before the Kafka path existed: insert. */
  source?: FreshnessSource;
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: FreshnessPreset;
  runs: FreshnessRun[];
  /** Kafka path: the preload read at full speed (throughput and CPU per event without probes). */
  kafkaPreload?: KafkaPreloadRead;
  notes: string[];
}

export const freshness: Scenario = {
  name: 'freshness',
  description:
    'INSERT (or, --source kafka, a Kafka produce) → visible in a point lookup on user_session_features and in Redis via a sink, at 1k / 10k / 50k events/s background load',
  run: async (o) => output(await run(o)),
};

function presetFor(o: ScenarioOptions): FreshnessPreset {
  const p = PRESETS[o.scale] ?? PRESETS.quick;
  // --rates measures several loads, --rate one; neither: the preset's loads.
  const rates = o.pipeline.rates ?? (o.pipeline.rate ? [o.pipeline.rate] : p.rates);
  return {
    users: o.pipeline.users ?? p.users,
    preload: o.pipeline.events ?? p.preload,
    rate: rates[0],
    rates,
    probes: o.pipeline.probes ?? p.probes,
    warmupS: p.warmupS,
  };
}

function sourceOf(o: ScenarioOptions): FreshnessSource {
  const s = o.pipeline.source ?? 'insert';
  if (s !== 'insert' && s !== 'kafka') throw new Error(`freshness: --source ${s}: expected insert or kafka`);
  return s;
}

async function run(o: ScenarioOptions): Promise<FreshnessResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const cfg = presetFor(o);
  const source = sourceOf(o);
  // PostgreSQL has no Kafka source: the Kafka path measures Freshet alone.
  const targets = source === 'kafka' ? o.targets.filter((t) => t === 'freshet') : o.targets;
  o.log(machineLine(machine));
  o.log(
    `plan: ${source === 'kafka' ? "the seed's user_events as a Kafka source; " : ''}preload ${cfg.preload.toLocaleString('en-US')} events over ${cfg.users.toLocaleString('en-US')} users, then ${cfg.probes} probes ` +
      `under each background load of ${cfg.rates.map(fmtQps).join(', ')} events/s (${cfg.warmupS} s warm-up each), targets ${targets.join(', ') || 'none'}`,
  );
  const runs: FreshnessRun[] = [];
  let kafkaPreload: KafkaPreloadRead | null = null;
  for (const name of targets) {
    if (source === 'kafka') {
      const k = await runKafkaTarget(o, cfg);
      runs.push(...k.runs);
      kafkaPreload = k.preload;
    } else runs.push(...(await runTarget(o, name, cfg)));
  }
  return {
    scenario: 'freshness',
    source,
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: cfg,
    runs,
    notes: notesFor(runs, machine, source),
    ...(kafkaPreload ? { kafkaPreload } : {}),
  };
}

/** One server per target, preloaded once; then one probe set per background load, in order. */
async function runTarget(o: ScenarioOptions, name: TargetName, cfg: FreshnessPreset): Promise<FreshnessRun[]> {
  const runs = cfg.rates.map((rate) => emptyRun(name, rate));
  const failAll = (msg: string) => {
    for (const r of runs) if (!r.freshnessMs) r.failure ??= msg;
  };
  o.log(`starting ${name} and creating the pipeline…`);
  let started;
  try {
    started = await startPipelineTarget(name, o.profileDir);
  } catch (e) {
    failAll((e as Error).message.split('\n')[0]);
    o.log(`  ${name}: UNAVAILABLE — ${(e as Error).message.split('\n').slice(0, 10).join('\n    ')}`);
    return runs;
  }
  const { target, pipeline } = started;
  for (const r of runs) {
    r.version = target.version;
    r.mode = pipeline.mode;
    r.fallbackReason = pipeline.fallbackReason;
  }
  o.log(`  ${name}: ${target.version}; pipeline: ${PIPELINE_MODE_TEXT[pipeline.mode]}`);
  if (pipeline.fallbackReason) o.log(`  ${name}: NOTE — verbatim MVs rejected: ${pipeline.fallbackReason}`);
  let redis: RedisSide | null = null;
  let path: InsertPath | null = null;
  try {
    await insertEvents(target, {
      from: 0,
      to: cfg.preload,
      users: cfg.users,
      batchRows: 1000,
      connections: 4,
      onProgress: (done) => o.progress.update(`${name}: preloaded ${done.toLocaleString('en-US')} events`, done / cfg.preload),
    });
    await settle(target);
    o.progress.done(`  ${name}: preloaded ${cfg.preload.toLocaleString('en-US')} events`);
    if (name === 'freshet') {
      // Event → visible in Redis, through the connectors' Redis sink on the same MV.
      try {
        redis = await addRedisSink(target);
      } catch (e) {
        o.log(`  ${name}: Redis sink not measured — ${(e as Error).message.split('\n')[0]}`);
      }
    }
    path = await InsertPath.open(target, cfg.users);
    await probeAtRates(o, target, path, cfg, runs, cfg.preload, redis?.client ?? null);
  } catch (e) {
    failAll((e as Error).message.split('\n')[0]);
    o.log(`  ${name}: FAILED — ${(e as Error).message.split('\n')[0]}\n${target.logTail()}`);
  } finally {
    await path?.close().catch(() => {});
    await redis?.close();
    await target.stop().catch(() => {});
  }
  return runs;
}

/** The table path: markers are single-row INSERTs on their own connection, timed from the acknowledgement. */
class InsertPath implements IngestPath {
  readonly origin = 'ack';

  private constructor(
    private readonly target: RunningTarget,
    private readonly users: number,
    private readonly writer: pg.Client,
  ) {}

  static async open(target: RunningTarget, users: number): Promise<InsertPath> {
    return new InsertPath(target, users, await connect(target));
  }

  startBackground(rate: number, firstEvent: number): Promise<BackgroundLoad> {
    return Background.start(this.target, { users: this.users, rate }, firstEvent);
  }

  async writeMarker(user: number): Promise<void> {
    await this.writer.query({
      name: 'marker',
      text: 'INSERT INTO user_events (user_id, event_type, item_id, timestamp) VALUES ($1, $2, $3, $4)',
      values: [String(user), 'click', '1', timestampNow()],
    });
  }

  async close(): Promise<void> {
    await this.writer.end();
  }
}

/** Events in one catch-up INSERT pair at most: 9,000 user_events rows × 4 parameters stays under the protocol's 65,535. */
const MAX_BATCH_EVENTS = 10_000;

/**
 * Ticks' worth of events to send when `behind` ticks are due: a power of two (few prepared
 * statements), at most 64 and at most `maxTicks`.
 */
export function catchUpTicks(behind: number, maxTicks = 64): number {
  let k = 1;
  while (k < 64 && k * 2 <= maxTicks && k * 2 <= behind) k *= 2;
  return k;
}

/**
 * Background events at a fixed rate: every tick each connection sends what is due in
 * batches of rate × tick events, several ticks' worth at once when behind.
 */
class Background implements BackgroundLoad {
  private stopped = false;
  private sent = 0;
  private errors = 0;
  private failedEvents = 0;
  private maxLagMs = 0;
  private readonly t0 = performance.now();
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly cfg: { users: number; rate: number },
    private next: number,
  ) {}

  static async start(t: RunningTarget, cfg: { users: number; rate: number }, firstEvent: number): Promise<Background> {
    const b = new Background(cfg, firstEvent);
    const clients = await Promise.all(Array.from({ length: BACKGROUND_CONNECTIONS }, () => connect(t)));
    b.loops = clients.map((c) => b.loop(c));
    return b;
  }

  rate(): number {
    return (this.sent - this.failedEvents) / ((performance.now() - this.t0) / 1000);
  }

  private async loop(client: pg.Client): Promise<void> {
    const batch = Math.max(TX_EVERY, Math.round((this.cfg.rate * BACKGROUND_TICK_MS) / 1000 / TX_EVERY) * TX_EVERY);
    try {
      while (!this.stopped) {
        const due = ((performance.now() - this.t0) / 1000) * this.cfg.rate;
        if (this.sent + batch > due) {
          await sleep(Math.max(1, ((this.sent + batch - due) / this.cfg.rate) * 1000));
          continue;
        }
        this.maxLagMs = Math.max(this.maxLagMs, ((due - this.sent) / this.cfg.rate) * 1000);
        // Behind schedule (a slow round trip at a low rate, where a tick's batch is a few
        // rows): catch up with a bigger batch, up to 64 ticks' worth, instead of falling behind for good.
        const ticks = catchUpTicks((due - this.sent) / batch, Math.floor(MAX_BATCH_EVENTS / batch));
        const size = batch * ticks;
        const from = this.next;
        this.next += size;
        this.sent += size;
        const b = eventBatch(from, from + size, this.cfg.users, timestampNow());
        try {
          await client.query({ name: `bg_events_${ticks}`, text: insertSql('user_events', b.eventRows), values: b.events });
          await client.query({ name: `bg_tx_${ticks}`, text: insertSql('transactions', b.transactionRows), values: b.transactions });
        } catch {
          // Not written: the achieved rate counts only acknowledged events.
          this.errors++;
          this.failedEvents += size;
        }
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  async stop(): Promise<BackgroundStats> {
    this.stopped = true;
    const seconds = (performance.now() - this.t0) / 1000;
    await Promise.all(this.loops);
    return { targetRate: this.cfg.rate, achievedRate: (this.sent - this.failedEvents) / seconds, events: this.sent - this.failedEvents, maxLagMs: this.maxLagMs, errors: this.errors };
  }
}

function notesFor(runs: FreshnessRun[], machine: MachineInfo, source: FreshnessSource): string[] {
  const notes: string[] = [];
  notes.push(
    `This machine has ${machine.cores} cores, shared by the client (background writer, prober) and the server${source === 'kafka' ? ' and the Kafka broker process and Redis' : ''}. ` +
      (source === 'kafka'
        ? 'Freshness is measured from the start of the marker\'s produce call (acks = all) to the arrival of the first lookup answer (or GET) showing its click: the producer → broker hop counts, and the origin does not depend on when the ack returns (the source may fetch the message before that). '
        : 'Freshness is measured from the INSERT acknowledgement to the arrival of the first lookup answer showing the click; ') +
      'polls are back to back, so the resolution is one lookup round trip; Redis GETs are 1 ms apart.',
  );
  for (const r of runs) {
    if (r.mode === 'no-temporal-filter')
      notes.push(
        `${r.target}: the seed MVs' temporal filters are not supported yet (${r.fallbackReason}); measured WITHOUT them (see the ingest scenario). The scenario tries the verbatim MVs first.`,
      );
    const [a, b] = r.loadAverage1m;
    notes.push(
      `${r.target} @ ${fmtQps(r.rate)}/s: 1-minute load average ${a.toFixed(1)} before, ${b.toFixed(1)} after${Math.max(a, b) > machine.cores ? ' — other work was running; latencies are inflated' : ''}.`,
    );
    if (r.background.achievedRate < r.background.targetRate * 0.95)
      notes.push(`${r.target}: the background load reached only **${fmtQps(r.background.achievedRate)} of ${fmtQps(r.background.targetRate)} events/s** — that row does not measure the target load.`);
  }
  if (source === 'kafka') notes.push(...kafkaNotes(runs));
  else
    notes.push(
      'PostgreSQL has no incremental view maintenance: `user_session_features` is a regular view (the seed query verbatim) over `user_events` with an index on user_id, so a committed row is visible to the next read and freshness is one lookup; each lookup recomputes the user\'s aggregate. Freshet reads the maintained MV by primary key; its freshness is bounded by the barrier interval (10 ms) plus the commit.',
    );
  notes.push(
    `The serving query column times ${SERVING_QUERIES} runs of the seed article's serving query (\`SELECT … FROM ml_feature_vector WHERE user_id = $1\`) after the probes, under the same load. ` +
      'Server CPU µs/event = the Freshet server process\'s CPU over the probe window (background load, probes, lookups, the Redis sink) divided by the background events in it: the figure to compare when wall-clock latencies are noisy.',
  );
  return notes;
}


/** The run the goals are judged on: the load the goals name (10,000 events/s), else the nearest. */
export function goalRun(r: FreshnessResult, target: TargetName): FreshnessRun | undefined {
  // The Kafka path's goal is stated at 50,000 events/s: a failed run at that load is the
  // answer (FAILED), not a reason to judge a lighter load instead.
  const kafka = r.source === 'kafka';
  const goalRate = kafka ? KAFKA_FRESHNESS_GOALS.rate : GOAL_RATE;
  const runs = r.runs.filter((x) => x.target === target && (kafka || x.freshnessMs));
  return [...runs].sort((a, b) => Math.abs(Math.log(a.rate / goalRate)) - Math.abs(Math.log(b.rate / goalRate)))[0];
}
/** The background load the issue's freshness goals are stated at (INSERT path). */
const GOAL_RATE = 10_000;

/** The Kafka path's verdicts: MV p99, Redis p99, and whether the load was really reached and kept up with. */
function kafkaVerdict(f: FreshnessRun | undefined): { mv: boolean | null; redis: boolean | null; load: boolean | null; keptUp: boolean | null } {
  if (!f) return { mv: null, redis: null, load: null, keptUp: null };
  return {
    mv: f.freshnessMs && !f.timeouts ? f.freshnessMs.p99 <= KAFKA_FRESHNESS_GOALS.mvP99Ms : false,
    redis: f.redisMs === undefined ? null : f.redisMs && !f.redisTimeouts ? f.redisMs.p99 <= KAFKA_FRESHNESS_GOALS.redisP99Ms : false,
    load: f.background.achievedRate >= f.background.targetRate * 0.95,
    keptUp: keptUp(f),
  };
}

const yesNo = (x: boolean | null, yes = 'met', no = '**missed**') => (x === null ? 'n/a' : x ? yes : no);

function kafkaGoalLines(f: FreshnessRun | undefined): string[] {
  if (!f) return ['- No run at the goal load.'];
  const v = kafkaVerdict(f);
  const p99 = (x: Percentiles | null | undefined) => (x ? `${ms(x.p99)} ms` : 'FAILED');
  const offGoal = f.rate !== KAFKA_FRESHNESS_GOALS.rate ? [`- The goals are stated at ${fmtQps(KAFKA_FRESHNESS_GOALS.rate)} events/s, which this run did not measure: the nearest load is judged instead.`] : [];
  return [
    ...offGoal,
    `- At ${fmtQps(f.rate)} events/s (achieved ${fmtQps(f.background.achievedRate)}: ${yesNo(v.load, 'reached', '**not reached**')}; server ${yesNo(v.keptUp, 'kept up', '**fell behind**')}):`,
    `  - produce → MV lookup p99 **${p99(f.freshnessMs)}** (goal ≤ ${KAFKA_FRESHNESS_GOALS.mvP99Ms} ms: ${yesNo(v.mv)}), p50 ${f.freshnessMs ? `${ms(f.freshnessMs.p50)} ms` : 'n/a'}`,
    `  - produce → Redis p99 **${f.redisMs === undefined ? 'n/a' : p99(f.redisMs)}** (goal ≤ ${KAFKA_FRESHNESS_GOALS.redisP99Ms} ms: ${yesNo(v.redis)}), p50 ${f.redisMs ? `${ms(f.redisMs.p50)} ms` : 'n/a'}`,
  ];
}

function backlogCells(x: FreshnessRun): string[] {
  const l = x.background.sourceLag;
  if (!l) return ['n/a', 'n/a'];
  return [
    `${l.medianBacklog.toLocaleString('en-US')} / ${l.maxBacklog.toLocaleString('en-US')} (${l.maxBacklogS.toFixed(2)} s); ${l.drainMs === null ? '**not drained**' : `${l.drainMs.toFixed(0)} ms`}`,
    l.consumedRate === null ? 'n/a' : `${fmtQps(l.consumedRate)}/s`,
  ];
}

export function renderFreshness(r: FreshnessResult): { markdown: string; summary: string } {
  const m = r.machine;
  const c = r.config;
  const rates = c.rates ?? [c.rate];
  const kafka = r.source === 'kafka';
  const out: string[] = [];
  out.push(`# freshness${kafka ? ' — Kafka source (seed 000 as written)' : ''} — ${r.date}`, '');
  out.push(
    kafka
      ? `Scale **${r.scale}**: ${c.users.toLocaleString('en-US')} users, ${c.preload.toLocaleString('en-US')} user events preloaded through Kafka; ${c.probes} probes ` +
          `under each background load of ${rates.map(fmtQps).join(', ')} events/s produced to the seed's \`user-events\` topic, in turn on the same server, after ${c.warmupS} s warm-up each. ` +
          'Each probe produces one click for a new user; **freshness is timed from the start of its produce call** to the first MV lookup (and the first Redis GET) that shows the click.'
      : `Scale **${r.scale}**: ${c.users.toLocaleString('en-US')} users, ${c.preload.toLocaleString('en-US')} events preloaded; ${c.probes} probes ` +
          `under each background load of ${rates.map(fmtQps).join(', ')} events/s in turn, on the same server (${BACKGROUND_CONNECTIONS} connections, batches every ${BACKGROUND_TICK_MS} ms, 1 in 10 a purchase), after ${c.warmupS} s warm-up each.`,
    '',
  );
  out.push(
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
  );
  const p = (x: Percentiles | null | undefined) => (x ? `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}` : 'n/a');
  if (r.kafkaPreload) out.push(preloadText(r.kafkaPreload), '');
  out.push('## Results (ms: p50 / p99 / max)', '');
  out.push(
    markdownTable(
      [
        'target',
        'background load (target → achieved events/s)',
        ...(kafka ? ['source backlog (median / max msgs; drained after stop)', 'source read rate'] : []),
        'server CPU µs/event',
        'pipeline',
        '**freshness (MV lookup)**',
        'visible in Redis (sink)',
        kafka ? 'marker produce ack' : 'marker INSERT ack',
        'lookup round trip',
        'polls/probe',
        'serving query (ml_feature_vector)',
        'timeouts',
        'note',
      ],
      r.runs.map((x) => [
        x.target,
        `${fmtQps(x.rate ?? x.background.targetRate)} → ${fmtQps(x.background.achievedRate)}`,
        ...(kafka ? backlogCells(x) : []),
        x.serverCpu ? x.serverCpu.usPerEvent.toFixed(1) : 'n/a',
        x.mode ?? '',
        `**${p(x.freshnessMs)}**`,
        x.redisMs === undefined ? 'n/a' : `${p(x.redisMs)}${x.redisTimeouts ? ` (${x.redisTimeouts} timeouts)` : ''}`,
        p(x.insertMs),
        p(x.lookupMs),
        x.meanPollsPerProbe.toFixed(1),
        p(x.servingMs),
        String(x.timeouts),
        x.failure ?? '',
      ]),
    ),
    '',
  );
  const f = goalRun(r, 'freshet');
  const pg = goalRun(r, 'postgres');
  const lines: string[] = [];
  if (kafka) lines.push(...kafkaGoalLines(f));
  else if (f?.freshnessMs) {
    const fm = f.freshnessMs;
    lines.push(
      `- Freshet at ${fmtQps(f.rate)} events/s: p50 **${ms(fm.p50)} ms** (goal ≤ ${FRESHNESS_GOALS.p50Ms}: ${fm.p50 <= FRESHNESS_GOALS.p50Ms ? 'met' : '**missed**'}), ` +
        `p99 **${ms(fm.p99)} ms** (goal ≤ ${FRESHNESS_GOALS.p99Ms}: ${fm.p99 <= FRESHNESS_GOALS.p99Ms ? 'met' : '**missed**'}); RisingWave's default is about 1 s.`,
    );
  }
  if (f?.freshnessMs && pg?.freshnessMs)
    lines.push(
      `- Freshet / PostgreSQL: freshness p50 ${fmtRatio(f.freshnessMs.p50 / pg.freshnessMs.p50)}, p99 ${fmtRatio(f.freshnessMs.p99 / pg.freshnessMs.p99)}; ` +
        `lookup round trip p50 ${fmtRatio(f.lookupMs!.p50 / pg.lookupMs!.p50)}, p99 ${fmtRatio(f.lookupMs!.p99 / pg.lookupMs!.p99)}.`,
    );
  if (lines.length) out.push('## Goals', '', ...lines, '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  const summary =
    `summary: freshness${kafka ? ' (Kafka source, from the produce call)' : ''}, ${c.probes} probes per load — ` +
    r.runs
      .map((x) =>
        x.freshnessMs
          ? `${x.target} @ ${fmtQps(x.rate ?? x.background.targetRate)}/s p50 ${ms(x.freshnessMs.p50)} / p99 ${ms(x.freshnessMs.p99)} ms${x.redisMs ? ` (Redis p50 ${ms(x.redisMs.p50)} / p99 ${ms(x.redisMs.p99)})` : ''}${x.failure ? ` [${x.failure}]` : ''}`
          : `${x.target} @ ${fmtQps(x.rate ?? x.background.targetRate)}/s FAILED${x.failure ? `: ${x.failure}` : ''}`,
      )
      .join(', ') +
    (kafka
      ? kafkaSummary(f) +
        (r.kafkaPreload ? ` | preload read ${fmtQps(r.kafkaPreload.eventsPerS)} events/s${r.kafkaPreload.usPerEvent === null ? '' : ` (${r.kafkaPreload.usPerEvent.toFixed(1)} server CPU µs/event)`}` : '')
      : f?.freshnessMs
      ? ` | goals at ${fmtQps(f.rate)}/s p50 ≤ 20: ${f.freshnessMs.p50 <= FRESHNESS_GOALS.p50Ms ? 'met' : 'MISSED'}, p99 ≤ 100: ${f.freshnessMs.p99 <= FRESHNESS_GOALS.p99Ms ? 'met' : 'MISSED'}`
      : '');
  return { markdown: out.join('\n'), summary };
}

function kafkaSummary(f: FreshnessRun | undefined): string {
  if (!f) return '';
  const v = kafkaVerdict(f);
  const up = (x: boolean | null) => (x === null ? 'n/a' : x ? 'met' : 'MISSED');
  return (
    ` | goals${f.rate !== KAFKA_FRESHNESS_GOALS.rate ? ` (stated at ${fmtQps(KAFKA_FRESHNESS_GOALS.rate)}/s, not measured)` : ''} at ${fmtQps(f.rate)}/s (achieved ${fmtQps(f.background.achievedRate)}, ${v.keptUp === null ? 'lag n/a' : v.keptUp ? 'kept up' : 'FELL BEHIND'}):` +
    ` MV p99 ≤ ${KAFKA_FRESHNESS_GOALS.mvP99Ms}: ${up(v.mv)}, Redis p99 ≤ ${KAFKA_FRESHNESS_GOALS.redisP99Ms}: ${up(v.redis)}`
  );
}

const TARGET_COLOR: Record<string, string> = { freshet: '#e6550d', postgres: '#3182bd' };

/** Freshness p50 / p99 against the achieved background load, per target, plus Freshet → Redis. */
export function freshnessChart(r: FreshnessResult): string {
  const ok = r.runs.filter((x) => x.freshnessMs);
  const targets = [...new Set(ok.map((x) => x.target))];
  const series = targets.flatMap((t) => {
    const runs = ok.filter((x) => x.target === t).sort((a, b) => a.background.achievedRate - b.background.achievedRate);
    const at = (f: (x: FreshnessRun) => number | undefined) => runs.flatMap((x): [number, number][] => (f(x) === undefined ? [] : [[Math.max(1, x.background.achievedRate), Math.max(f(x)!, 0.001)]]));
    const out = [
      { name: `${t} p50`, color: TARGET_COLOR[t] ?? '#777', points: at((x) => x.freshnessMs!.p50) },
      { name: `${t} p99`, color: TARGET_COLOR[t] ?? '#777', dashed: true, points: at((x) => x.freshnessMs!.p99) },
    ];
    if (runs.some((x) => x.redisMs))
      out.push(
        { name: `${t} → Redis p50`, color: '#31a354', points: at((x) => x.redisMs?.p50) },
        { name: `${t} → Redis p99`, color: '#31a354', dashed: true, points: at((x) => x.redisMs?.p99) },
      );
    return out;
  });
  return lineChart({
    title:
      r.source === 'kafka'
        ? `Kafka produce → visible vs load (ms; at 50k/s goals: MV p99 ≤ ${KAFKA_FRESHNESS_GOALS.mvP99Ms}, Redis ≤ ${KAFKA_FRESHNESS_GOALS.redisP99Ms})`
        : 'freshness vs background load (ms; goals at 10,000 events/s: p50 ≤ 20, p99 ≤ 100)',
    xLabel: 'background load, events/s (achieved)',
    yLabel: 'event → visible, ms',
    xLog: true,
    yLog: true,
    series,
    refs: r.source === 'kafka'
      ? [
          { y: KAFKA_FRESHNESS_GOALS.mvP99Ms, label: 'MV p99 goal' },
          { y: KAFKA_FRESHNESS_GOALS.redisP99Ms, label: 'Redis p99 goal' },
        ]
      : [
      { y: FRESHNESS_GOALS.p50Ms, label: 'p50 goal' },
      { y: FRESHNESS_GOALS.p99Ms, label: 'p99 goal' },
    ],
  });
}

/** Every probe's freshness against time since the probes at that load began: stalls show as spikes. */
export function freshnessOverTimeChart(r: FreshnessResult): string {
  const palette = ['#fdae6b', '#e6550d', '#a63603', '#6baed6', '#3182bd', '#08519c'];
  const runs = r.runs.filter((x) => x.series?.length);
  return lineChart({
    title: 'freshness over time: every probe (ms)',
    xLabel: 'seconds since the first probe at that load',
    yLabel: 'event → visible in the MV, ms',
    yLog: true,
    series: runs.map((x, i) => ({ name: `${x.target} @ ${fmtQps(x.rate)}/s`, color: palette[i % palette.length], scatter: true, points: x.series!.map(([t, v]): [number, number] => [t, Math.max(v, 0.001)]) })),
  });
}

function output(r: FreshnessResult): ScenarioOutput {
  const { markdown, summary } = renderFreshness(r);
  // Probe freshness is a distribution per load, not repeats: the noise verdict rests on the load average.
  const spreads: Spread[] = [];
  return {
    // Its own file names (<date>-freshness-kafka-<scale>.*): a Kafka run never overwrites the INSERT path's.
    scenario: r.source === 'kafka' ? 'freshness-kafka' : 'freshness',
    scale: r.scale,
    date: r.date,
    data: r,
    markdown,
    summary,
    spreads,
    charts: [
      { suffix: 'latency', title: 'freshness vs load', svg: freshnessChart(r) },
      { suffix: 'over-time', title: 'freshness over time', svg: freshnessOverTimeChart(r) },
    ],
  };
}
