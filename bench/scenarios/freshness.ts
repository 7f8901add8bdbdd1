/**
 * Freshness (issue 3): the time from an acknowledged INSERT to the new value being visible
 * in a point lookup on the MV, under a steady background load of events.
 *
 * Each probe inserts one `click` event for a marker user that has never had an event,
 * waits for the INSERT's acknowledgement, then polls
 * `SELECT clicks_30m FROM user_session_features WHERE user_id = $1` (prepared, on its own
 * connection, back to back) until the marker's row appears. Freshness = time the answer
 * with the row arrived − time the INSERT was acknowledged. Probes are spaced by a random
 * 5–25 ms so they do not lock onto the barrier interval's phase.
 *
 * The background load runs on other connections at a fixed rate (open loop: batches
 * every 10 ms, catching up back to back when behind) through the same pipeline.
 * PostgreSQL, in the same run, serves the same lookup from a regular view over an indexed
 * table, so its freshness is one lookup's round trip: the price is computing the
 * aggregate on every read, which the lookup latency columns show.
 */
import { loadavg } from 'node:os';
import type pg from 'pg';
import { eventBatch, insertSql, PIPELINE_MODE_TEXT, type PipelineMode, TX_EVERY, userOfEventOrdinal } from '../lib/feature-pipeline';
import { machineInfo, machineLine, type MachineInfo } from '../lib/machine';
import { connect, insertEvents, settle, startPipelineTarget, timestampNow } from '../lib/pipeline-run';
import { fmtQps, fmtRatio } from '../lib/report';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { percentile } from '../lib/stats';
import { barChart } from '../lib/svg';
import type { RunningTarget, TargetName } from '../lib/targets';

export const FRESHNESS_GOALS = { p50Ms: 20, p99Ms: 100 } as const;
/** A probe not visible after this long counts as a timeout (and fails the target). */
const PROBE_TIMEOUT_MS = 5000;
const BACKGROUND_TICK_MS = 10;
const BACKGROUND_CONNECTIONS = 2;
/** Serving queries on ml_feature_vector timed after the probes (for information). */
const SERVING_QUERIES = 50;
const SERVING_SQL = `SELECT
clicks_30m,
views_30m,
unique_items_30m,
purchase_count_7d,
purchase_value_7d
FROM ml_feature_vector
WHERE user_id = $1`;

interface FreshnessPreset {
  users: number;
  /** Events loaded (and flushed) before measuring, so the MVs are not empty. */
  preload: number;
  rate: number;
  probes: number;
  warmupS: number;
}

const PRESETS: Record<string, FreshnessPreset> = {
  quick: { users: 10_000, preload: 100_000, rate: 10_000, probes: 300, warmupS: 2 },
  small: { users: 10_000, preload: 100_000, rate: 10_000, probes: 300, warmupS: 2 },
  full: { users: 100_000, preload: 1_000_000, rate: 10_000, probes: 2000, warmupS: 5 },
};

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface FreshnessRun {
  target: TargetName;
  version: string;
  mode?: PipelineMode;
  fallbackReason?: string;
  probes: number;
  timeouts: number;
  /** Acknowledged INSERT → row visible in the lookup, ms. */
  freshnessMs: Percentiles | null;
  /** The marker INSERT's own round trip (send → acknowledgement), ms. */
  insertMs: Percentiles | null;
  /** Every poll's round trip: the point lookup's latency under load, ms. */
  lookupMs: Percentiles | null;
  meanPollsPerProbe: number;
  /** The seed article's serving query on ml_feature_vector by user_id, under the same load, ms. */
  servingMs: Percentiles | null;
  background: { targetRate: number; achievedRate: number; events: number; maxLagMs: number; errors: number };
  loadAverage1m: [number, number];
  failure?: string;
}

export interface FreshnessResult {
  scenario: 'freshness';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: FreshnessPreset;
  runs: FreshnessRun[];
  notes: string[];
}

export const freshness: Scenario = {
  name: 'freshness',
  description: 'acknowledged INSERT → visible in a point lookup on user_session_features, under 10,000 events/s background load',
  run: async (o) => output(await run(o)),
};

function presetFor(o: ScenarioOptions): FreshnessPreset {
  const p = PRESETS[o.scale] ?? PRESETS.quick;
  return {
    users: o.pipeline.users ?? p.users,
    preload: o.pipeline.events ?? p.preload,
    rate: o.pipeline.rate ?? p.rate,
    probes: o.pipeline.probes ?? p.probes,
    warmupS: p.warmupS,
  };
}

async function run(o: ScenarioOptions): Promise<FreshnessResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const cfg = presetFor(o);
  o.log(machineLine(machine));
  o.log(
    `plan: preload ${cfg.preload.toLocaleString('en-US')} events over ${cfg.users.toLocaleString('en-US')} users, then ${cfg.probes} probes ` +
      `under ${fmtQps(cfg.rate)} events/s background load (${cfg.warmupS} s warm-up), targets ${o.targets.join(', ')}`,
  );
  const runs: FreshnessRun[] = [];
  for (const name of o.targets) runs.push(await runTarget(o, name, cfg));
  return {
    scenario: 'freshness',
    scale: o.scale,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    config: cfg,
    runs,
    notes: notesFor(runs, machine),
  };
}

const summarize = (xs: number[]): Percentiles | null =>
  xs.length ? { p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99), max: Math.max(...xs) } : null;

async function runTarget(o: ScenarioOptions, name: TargetName, cfg: FreshnessPreset): Promise<FreshnessRun> {
  const r: FreshnessRun = {
    target: name,
    version: '',
    probes: 0,
    timeouts: 0,
    freshnessMs: null,
    insertMs: null,
    lookupMs: null,
    meanPollsPerProbe: 0,
    servingMs: null,
    background: { targetRate: cfg.rate, achievedRate: 0, events: 0, maxLagMs: 0, errors: 0 },
    loadAverage1m: [loadavg()[0], 0],
  };
  o.log(`starting ${name} and creating the pipeline…`);
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
  let background: Background | null = null;
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

    background = await Background.start(target, cfg, cfg.preload);
    await sleep(cfg.warmupS * 1000);
    const probe = await Prober.open(target);
    const fresh: number[] = [];
    const inserts: number[] = [];
    const lookups: number[] = [];
    let polls = 0;
    try {
      for (let k = 0; k < cfg.probes; k++) {
        const p = await probe.once(cfg.users + 1 + k, lookups);
        polls += p.polls;
        inserts.push(p.insertMs);
        if (p.freshMs === null) r.timeouts++;
        else fresh.push(p.freshMs);
        o.progress.update(
          `${name}: probe ${k + 1}/${cfg.probes}, last ${p.freshMs === null ? 'TIMEOUT' : `${p.freshMs.toFixed(1)} ms`}, background ${fmtQps(background.rate())} events/s`,
          (k + 1) / cfg.probes,
        );
        await sleep(5 + Math.random() * 20);
      }
      r.servingMs = summarize(await probe.serving(cfg.users, SERVING_QUERIES));
    } finally {
      await probe.close();
    }
    r.background = await background.stop();
    background = null;
    r.probes = cfg.probes;
    r.freshnessMs = summarize(fresh);
    r.insertMs = summarize(inserts);
    r.lookupMs = summarize(lookups);
    r.meanPollsPerProbe = polls / cfg.probes;
    r.loadAverage1m[1] = loadavg()[0];
    if (r.timeouts) r.failure = `${r.timeouts} of ${cfg.probes} probes not visible within ${PROBE_TIMEOUT_MS} ms`;
    if (r.background.errors) r.failure = `${r.failure ? `${r.failure}; ` : ''}${r.background.errors} background INSERTs failed`;
    const f = r.freshnessMs;
    o.progress.done(
      `  ${name}: freshness p50 ${f ? ms(f.p50) : '-'} p99 ${f ? ms(f.p99) : '-'} max ${f ? ms(f.max) : '-'} ms` +
        ` | insert ack p50 ${ms(r.insertMs!.p50)} ms | lookup p50 ${ms(r.lookupMs!.p50)} p99 ${ms(r.lookupMs!.p99)} ms` +
        ` | background ${fmtQps(r.background.achievedRate)} events/s (max lag ${r.background.maxLagMs.toFixed(0)} ms)${r.failure ? ` | ${r.failure}` : ''}`,
    );
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
    o.log(`  ${name}: FAILED — ${r.failure}\n${target.logTail()}`);
  } finally {
    if (background) await background.stop().catch(() => {});
    await target.stop().catch(() => {});
  }
  return r;
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** The probe's two connections: one writes markers, one polls the lookup. */
class Prober {
  private constructor(
    private readonly writer: pg.Client,
    private readonly reader: pg.Client,
  ) {}

  static async open(t: RunningTarget): Promise<Prober> {
    return new Prober(await connect(t), await connect(t));
  }

  /** One probe for a fresh `user`; pushes every poll's round trip into `lookups`. */
  async once(user: number, lookups: number[]): Promise<{ freshMs: number | null; insertMs: number; polls: number }> {
    const u = String(user);
    const t0 = performance.now();
    await this.writer.query({
      name: 'marker',
      text: 'INSERT INTO user_events (user_id, event_type, item_id, timestamp) VALUES ($1, $2, $3, $4)',
      values: [u, 'click', '1', timestampNow()],
    });
    const acked = performance.now();
    let polls = 0;
    for (;;) {
      const s = performance.now();
      const res = await this.reader.query({ name: 'lookup', text: 'SELECT clicks_30m FROM user_session_features WHERE user_id = $1', values: [u], rowMode: 'array' });
      const now = performance.now();
      lookups.push(now - s);
      polls++;
      if (res.rows.length === 1 && String(res.rows[0][0]) === '1') return { freshMs: now - acked, insertMs: acked - t0, polls };
      if (now - acked > PROBE_TIMEOUT_MS) return { freshMs: null, insertMs: acked - t0, polls };
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
    await Promise.all([this.writer.end(), this.reader.end()]);
  }
}

/**
 * Background events at a fixed rate: every tick each connection sends what is due in
 * whole batches of rate × tick events (back to back when behind).
 */
class Background {
  private stopped = false;
  private sent = 0;
  private errors = 0;
  private maxLagMs = 0;
  private readonly t0 = performance.now();
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly cfg: FreshnessPreset,
    private next: number,
  ) {}

  static async start(t: RunningTarget, cfg: FreshnessPreset, firstEvent: number): Promise<Background> {
    const b = new Background(cfg, firstEvent);
    const clients = await Promise.all(Array.from({ length: BACKGROUND_CONNECTIONS }, () => connect(t)));
    b.loops = clients.map((c) => b.loop(c));
    return b;
  }

  rate(): number {
    return this.sent / ((performance.now() - this.t0) / 1000);
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
        const from = this.next;
        this.next += batch;
        this.sent += batch;
        const b = eventBatch(from, from + batch, this.cfg.users, timestampNow());
        try {
          await client.query({ name: 'bg_events', text: insertSql('user_events', b.eventRows), values: b.events });
          await client.query({ name: 'bg_tx', text: insertSql('transactions', b.transactionRows), values: b.transactions });
        } catch {
          this.errors++;
        }
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  async stop(): Promise<FreshnessRun['background']> {
    this.stopped = true;
    const seconds = (performance.now() - this.t0) / 1000;
    await Promise.all(this.loops);
    return { targetRate: this.cfg.rate, achievedRate: this.sent / seconds, events: this.sent, maxLagMs: this.maxLagMs, errors: this.errors };
  }
}

function notesFor(runs: FreshnessRun[], machine: MachineInfo): string[] {
  const notes: string[] = [];
  notes.push(
    `This machine has ${machine.cores} cores, shared by the client (background writer, prober) and the server. ` +
      'Freshness is measured from the INSERT acknowledgement to the arrival of the first lookup answer containing the row; polls are back to back, so the resolution is one lookup round trip.',
  );
  for (const r of runs) {
    if (r.mode === 'no-temporal-filter')
      notes.push(
        `${r.target}: the seed MVs' temporal filters are not supported yet (${r.fallbackReason}); measured WITHOUT them (see the ingest scenario). The scenario tries the verbatim MVs first.`,
      );
    const [a, b] = r.loadAverage1m;
    notes.push(`${r.target}: 1-minute load average ${a.toFixed(1)} before, ${b.toFixed(1)} after${Math.max(a, b) > machine.cores ? ' — other work was running; latencies are inflated' : ''}.`);
    if (!r.failure && r.background.achievedRate < r.background.targetRate * 0.95)
      notes.push(`${r.target}: the background load reached only ${fmtQps(r.background.achievedRate)} of ${fmtQps(r.background.targetRate)} events/s.`);
  }
  notes.push(
    'PostgreSQL has no incremental view maintenance: `user_session_features` is a regular view (the seed query verbatim) over `user_events` with an index on user_id, so a committed row is visible to the next read and freshness is one lookup; each lookup recomputes the user\'s aggregate. Freshet reads the maintained MV by primary key; its freshness is bounded by the barrier interval (10 ms) plus the commit.',
  );
  notes.push(
    `The serving query column times ${SERVING_QUERIES} runs of the seed article's serving query (\`SELECT … FROM ml_feature_vector WHERE user_id = $1\`) after the probes, under the same load.`,
  );
  return notes;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderFreshness(r: FreshnessResult): { markdown: string; summary: string } {
  const m = r.machine;
  const c = r.config;
  const out: string[] = [];
  out.push(`# freshness — ${r.date}`, '');
  out.push(
    `Scale **${r.scale}**: ${c.users.toLocaleString('en-US')} users, ${c.preload.toLocaleString('en-US')} events preloaded; ${c.probes} probes ` +
      `under a background load of ${fmtQps(c.rate)} events/s (${BACKGROUND_CONNECTIONS} connections, batches every ${BACKGROUND_TICK_MS} ms, 1 in 10 a purchase), after ${c.warmupS} s warm-up.`,
    '',
  );
  out.push(
    `Machine: ${m.cpuModel}, **${m.cores} cores**, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load avg ${m.loadAverage1m} at start` +
      `${m.gitCommit ? `, commit ${m.gitCommit}${m.gitDirty ? ' (dirty)' : ''}` : ''}.`,
    '',
  );
  const p = (x: Percentiles | null) => (x ? `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}` : 'n/a');
  out.push('## Results (ms: p50 / p99 / max)', '');
  out.push(
    table(
      ['target', 'pipeline', '**freshness**', 'marker INSERT ack', 'lookup round trip', 'polls/probe', 'serving query (ml_feature_vector)', 'background events/s', 'timeouts', 'note'],
      r.runs.map((x) => [
        x.target,
        x.mode ?? '',
        `**${p(x.freshnessMs)}**`,
        p(x.insertMs),
        p(x.lookupMs),
        x.meanPollsPerProbe.toFixed(1),
        p(x.servingMs),
        fmtQps(x.background.achievedRate),
        String(x.timeouts),
        x.failure ?? '',
      ]),
    ),
    '',
  );
  const f = r.runs.find((x) => x.target === 'freshet' && x.freshnessMs);
  const pg = r.runs.find((x) => x.target === 'postgres' && x.freshnessMs);
  const lines: string[] = [];
  if (f?.freshnessMs) {
    const fm = f.freshnessMs;
    lines.push(
      `- Freshet: p50 **${ms(fm.p50)} ms** (goal ≤ ${FRESHNESS_GOALS.p50Ms}: ${fm.p50 <= FRESHNESS_GOALS.p50Ms ? 'met' : '**missed**'}), ` +
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
    `summary: freshness under ${fmtQps(c.rate)} events/s, ${c.probes} probes — ` +
    r.runs
      .map((x) =>
        x.freshnessMs
          ? `${x.target} p50 ${ms(x.freshnessMs.p50)} / p99 ${ms(x.freshnessMs.p99)} ms (lookup p50 ${ms(x.lookupMs!.p50)} ms)${x.failure ? ` [${x.failure}]` : ''}`
          : `${x.target} FAILED${x.failure ? `: ${x.failure}` : ''}`,
      )
      .join(', ') +
    (f?.freshnessMs
      ? ` | goals p50 ≤ 20: ${f.freshnessMs.p50 <= FRESHNESS_GOALS.p50Ms ? 'met' : 'MISSED'}, p99 ≤ 100: ${f.freshnessMs.p99 <= FRESHNESS_GOALS.p99Ms ? 'met' : 'MISSED'}`
      : '');
  return { markdown: out.join('\n'), summary };
}

export function freshnessChart(r: FreshnessResult): string {
  const ok = r.runs.filter((x) => x.freshnessMs && x.lookupMs);
  const metrics: [string, (x: FreshnessRun) => number][] = [
    ['freshness\np50', (x) => x.freshnessMs!.p50],
    ['freshness\np99', (x) => x.freshnessMs!.p99],
    ['lookup\np50', (x) => x.lookupMs!.p50],
    ['lookup\np99', (x) => x.lookupMs!.p99],
  ];
  return barChart({
    title: `freshness under ${fmtQps(r.config.rate)} events/s (ms; goals p50 ≤ 20, p99 ≤ 100)`,
    yLabel: 'ms',
    series: ok.map((x) => ({ name: x.target, color: x.target === 'freshet' ? '#e6550d' : '#3182bd' })),
    groups: metrics.map(([label, f]) => ({ label, values: ok.map((x) => ({ value: Math.max(f(x), 0.001) })) })),
    log: true,
    labels: true,
    format: (v) => (v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2)))),
  });
}

function output(r: FreshnessResult): ScenarioOutput {
  const { markdown, summary } = renderFreshness(r);
  return { scenario: 'freshness', scale: r.scale, date: r.date, data: r, markdown, summary, charts: [{ suffix: 'latency', title: 'freshness', svg: freshnessChart(r) }] };
}
