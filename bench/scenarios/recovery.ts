/**
 * Recovery (issue 7): how long a real `freshet start` process takes to come back after a
 * restart, against the size of its state.
 *
 * Per state size: a fresh data dir, the seed feature pipeline (tables + the three MVs of
 * seed 000), N events inserted and FLUSHed, a pause for the checkpoint upload. Then, per
 * repeat and stop mode — `kill -9` (SIGKILL: no shutdown work) and graceful (SIGTERM) —
 * the process is stopped and started again on the same data dir and port, and from the
 * spawn the bench measures, polling every few ms on fresh connections:
 *   - accept: the first completed PostgreSQL handshake;
 *   - serving: the first point lookup on `user_session_features` that returns a preloaded
 *     user's row with its pre-restart value;
 *   - streaming: a marker event INSERTed right after serving is ready, visible in the MV.
 * The marker's INSERT is retried until accepted, so "streaming" includes any time DML is
 * refused while the stream graph recovers.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '@freshet/testkit';
import { createPipeline, PIPELINE_MODE_TEXT, userOfEventOrdinal, type PipelineMode } from '../lib/feature-pipeline';
import { ensureBundle, spawnFreshet, type FreshetProcess } from '../lib/freshet-process';
import { lineChart } from '../lib/line-chart';
import { machineInfo, machineLine, type MachineInfo } from '../lib/machine';
import { insertEvents, timestampNow } from '../lib/pipeline-run';
import type { Spread } from '../lib/run-conditions';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { median, spreadPct } from '../lib/stats';
import type { RunningTarget } from '../lib/targets';

export type StopMode = 'kill9' | 'graceful';
export const STOP_MODES: readonly StopMode[] = ['kill9', 'graceful'];
const POLL_MS = 5;
const RESTART_TIMEOUT_MS = 300_000;
/** A lookup failing with the same error this long after the server accepts is a failed recovery, not a slow one. */
const STUCK_ERROR_MS = 20_000;
/** Checkpoints are uploaded every second by default: wait for one after the FLUSH. */
const CHECKPOINT_WAIT_MS = 2500;

const PRESETS: Record<string, { users: number; sizes: number[]; repeats: number }> = {
  quick: { users: 10_000, sizes: [20_000, 100_000, 300_000], repeats: 2 },
  full: { users: 100_000, sizes: [1_000_000, 3_000_000, 10_000_000], repeats: 3 },
};
PRESETS.small = PRESETS.quick;
PRESETS.smoke = { users: 2_000, sizes: [10_000, 50_000], repeats: 1 };

export interface RestartTiming {
  mode: StopMode;
  /** Stop signal → process gone, ms. */
  stopMs: number;
  /** Spawn → first handshake / first right lookup / marker visible, ms (null: timed out). */
  acceptMs: number | null;
  servingMs: number | null;
  streamingMs: number | null;
  failure?: string;
}

export interface SizeResult {
  events: number;
  users: number;
  loadSeconds: number;
  dataDirMiB: number;
  restarts: RestartTiming[];
}

export interface RecoveryResult {
  scenario: 'recovery';
  scale: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: { users: number; sizes: number[]; repeats: number; pollMs: number };
  pipeline: PipelineMode | null;
  sizes: SizeResult[];
  notes: string[];
}

export const recovery: Scenario = {
  name: 'recovery',
  description: 'freshet start restart (kill -9 and graceful) → first point lookup and first new event visible, vs state size',
  defaults: (scale) => ({ repeats: (PRESETS[scale] ?? PRESETS.quick).repeats }),
  run: async (o) => output(await run(o)),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A target record for the shared pipeline helpers (they only need the address). */
function targetAt(port: number): RunningTarget {
  return {
    name: 'freshet',
    host: '127.0.0.1',
    port,
    user: 'root',
    database: 'dev',
    version: '',
    settings: {},
    logTail: () => '',
    serverPid: () => null,
    stop: async () => {},
  };
}

async function tryConnect(port: number): Promise<pg.Client | null> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev', connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return c;
  } catch {
    await c.end().catch(() => {});
    return null;
  }
}

const LOOKUP = 'SELECT clicks_30m FROM user_session_features WHERE user_id = $1';

async function run(o: ScenarioOptions): Promise<RecoveryResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  const p = PRESETS[o.scale] ?? PRESETS.quick;
  const cfg = { users: o.pipeline.users ?? p.users, sizes: o.pipeline.sizes ?? p.sizes, repeats: o.repeats, pollMs: POLL_MS };
  o.log(machineLine(machine));
  o.log(`plan: state sizes ${cfg.sizes.map((s) => s.toLocaleString('en-US')).join(', ')} events over ${cfg.users.toLocaleString('en-US')} users; ${cfg.repeats} restart(s) per stop mode (${STOP_MODES.join(', ')})`);
  const result: RecoveryResult = { scenario: 'recovery', scale: o.scale, date: startedAt.toISOString().slice(0, 10), startedAt: startedAt.toISOString(), finishedAt: '', machine, config: cfg, pipeline: null, sizes: [], notes: [] };
  for (const events of cfg.sizes) result.sizes.push(await runSize(o, cfg, events, result));
  result.finishedAt = new Date().toISOString();
  result.notes = notesFor(result);
  return result;
}

async function runSize(o: ScenarioOptions, cfg: RecoveryResult['config'], events: number, result: RecoveryResult): Promise<SizeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'freshet-bench-recovery-'));
  const port = await freePort();
  const size: SizeResult = { events, users: cfg.users, loadSeconds: 0, dataDirMiB: 0, restarts: [] };
  let proc: FreshetProcess | null = spawnFreshet(o.repoRoot, dataDir, port, { heapMb: 16384 });
  try {
    const first = await waitFor(port, proc);
    if (!first.client) throw new Error(`freshet did not start: ${proc.logs.tail(20)}`);
    result.pipeline = (await createPipeline(first.client, 'freshet')).mode;
    await first.client.end();
    const target = targetAt(port);
    const load = await insertEvents(target, {
      from: 0,
      to: events,
      users: cfg.users,
      batchRows: 1000,
      connections: 4,
      onProgress: (n) => o.progress.update(`recovery ${events.toLocaleString('en-US')}: loaded ${n.toLocaleString('en-US')} events`, n / events),
    });
    const c = await tryConnect(port);
    await c!.query('FLUSH');
    // The value a correct recovery must serve: a preloaded user's clicks, read before the stop.
    const probeUser = String(userOfEventOrdinal(0, cfg.users));
    const expected = String((await c!.query({ text: LOOKUP, values: [probeUser], rowMode: 'array' })).rows[0]?.[0]);
    await c!.end();
    await sleep(CHECKPOINT_WAIT_MS);
    size.loadSeconds = load.seconds;
    size.dataDirMiB = Math.round(dirBytes(dataDir) / 2 ** 20);
    o.progress.done(`  ${events.toLocaleString('en-US')} events loaded in ${load.seconds.toFixed(1)} s; data dir ${size.dataDirMiB} MiB`);

    let marker = cfg.users + 1;
    for (let rep = 0; rep < cfg.repeats; rep++) {
      for (const mode of rep % 2 ? [...STOP_MODES].reverse() : STOP_MODES) {
        ensureBundle(o.repoRoot); // not timed: a bundle rebuild after a source edit is no part of a restart
        const s0 = performance.now();
        await proc.stop(mode);
        const stopMs = performance.now() - s0;
        proc = spawnFreshet(o.repoRoot, dataDir, port, { heapMb: 16384 });
        const timing = await timeRestart(proc, port, probeUser, expected, String(marker++));
        timing.stopMs = stopMs;
        timing.mode = mode;
        size.restarts.push(timing);
        const f = (x: number | null) => (x === null ? 'TIMEOUT' : `${(x / 1000).toFixed(2)} s`);
        o.progress.done(
          `  ${events.toLocaleString('en-US')} events, ${mode.padEnd(8)} run ${rep + 1}/${cfg.repeats}: stop ${(stopMs / 1000).toFixed(2)} s, accept ${f(timing.acceptMs)}, serving ${f(timing.servingMs)}, streaming ${f(timing.streamingMs)}${timing.failure ? ` — ${timing.failure}` : ''}`,
        );
      }
    }
  } finally {
    await proc?.stop('graceful').catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  return size;
}

/** Polls new connections until one completes its handshake, or the process exits. */
async function waitFor(port: number, proc: FreshetProcess): Promise<{ client: pg.Client | null }> {
  const deadline = performance.now() + RESTART_TIMEOUT_MS;
  let gone = false;
  void proc.exited.then(() => (gone = true));
  while (performance.now() < deadline && !gone) {
    const c = await tryConnect(port);
    if (c) return { client: c };
    await sleep(POLL_MS);
  }
  return { client: null };
}

async function timeRestart(proc: FreshetProcess, port: number, probeUser: string, expected: string, marker: string): Promise<RestartTiming> {
  const t0 = performance.now();
  const r: RestartTiming = { mode: 'kill9', stopMs: 0, acceptMs: null, servingMs: null, streamingMs: null };
  const { client } = await waitFor(port, proc);
  if (!client) {
    r.failure = `no connection within ${RESTART_TIMEOUT_MS / 1000} s: ${proc.logs.tail(5).replace(/\n/g, ' | ')}`;
    return r;
  }
  r.acceptMs = performance.now() - t0;
  const deadline = t0 + RESTART_TIMEOUT_MS;
  try {
    let last = '';
    let lastChanged = performance.now();
    while (performance.now() < deadline && performance.now() - lastChanged < STUCK_ERROR_MS) {
      let now: string;
      try {
        const res = await client.query({ text: LOOKUP, values: [probeUser], rowMode: 'array' });
        now = String(res.rows[0]?.[0]);
      } catch (e) {
        now = (e as Error).message;
      }
      if (now !== last) lastChanged = performance.now();
      last = now;
      if (last === expected) break;
      await sleep(POLL_MS);
    }
    if (last !== expected) {
      const logTail = proc.logs.tail(6).replace(/\s*\n\s*/g, ' | ');
      r.failure = `lookup never returned the pre-restart value ${expected} (last answer, unchanged for ${STUCK_ERROR_MS / 1000} s: ${last}); server log: ${logTail}`;
      return r;
    }
    r.servingMs = performance.now() - t0;
    const insert = { text: 'INSERT INTO user_events (user_id, event_type, item_id, timestamp) VALUES ($1, $2, $3, $4)', values: [marker, 'click', '1', timestampNow()] };
    for (;;) {
      try {
        await client.query(insert);
        break;
      } catch (e) {
        if (performance.now() > deadline) throw e;
        await sleep(POLL_MS);
      }
    }
    while (performance.now() < deadline) {
      const res = await client.query({ text: LOOKUP, values: [marker], rowMode: 'array' });
      if (res.rows.length === 1) {
        r.streamingMs = performance.now() - t0;
        break;
      }
      await sleep(POLL_MS);
    }
    if (r.streamingMs === null) r.failure = 'the marker event never became visible';
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
  } finally {
    await client.end().catch(() => {});
  }
  return r;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

type Figure = 'acceptMs' | 'servingMs' | 'streamingMs';

/** Median, min and max of one figure over a size's restarts in one mode (timeouts excluded). */
export function restartStats(s: SizeResult, mode: StopMode, f: Figure): { median: number; min: number; max: number; spreadPct: number; n: number } | null {
  const xs = s.restarts.filter((r) => r.mode === mode && r[f] !== null).map((r) => r[f]!);
  if (!xs.length) return null;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), spreadPct: spreadPct(xs), n: xs.length };
}

function notesFor(r: RecoveryResult): string[] {
  return [
    `Pipeline: ${r.pipeline ? PIPELINE_MODE_TEXT[r.pipeline] : 'not created'}; events as in the ingest scenario (one in ten a purchase), all timestamped now.`,
    `Times are from spawning \`node bin/freshet.js start\` on the same data dir and port, polling every ${POLL_MS} ms on fresh connections: accept = first completed handshake; serving = first lookup on user_session_features returning a preloaded user's pre-restart value; streaming = a new event INSERTed after that, visible in the MV. Node's own start-up (~0.3–0.5 s to load the code) is included.`,
    `Before the first stop the bench FLUSHes and waits ${CHECKPOINT_WAIT_MS / 1000} s (the default checkpoint upload interval is 1 s). kill -9 gives the server no shutdown work; graceful is SIGTERM (SIGKILL after 30 s).`,
    ...r.sizes.flatMap((s) => s.restarts.filter((x) => x.failure).map((x) => `FAILED ${s.events.toLocaleString('en-US')} events, ${x.mode}: ${x.failure}`)),
  ];
}

const sec = (ms: number) => (ms / 1000).toFixed(2);

export function renderRecovery(r: RecoveryResult): string {
  const out = [`# recovery — ${r.date}`, ''];
  out.push(`Scale **${r.scale}**: ${r.config.users.toLocaleString('en-US')} users; ${r.config.repeats} restart(s) per state size and stop mode; median (min–max) seconds from spawn.`, '');
  const cell = (s: SizeResult, m: StopMode, f: Figure) => {
    const x = restartStats(s, m, f);
    return x ? `${sec(x.median)} (${sec(x.min)}–${sec(x.max)})` : 'n/a';
  };
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = ['events', 'data dir MiB', 'stop', 'accept s', '**serving s**', '**streaming s**', 'failures'];
  out.push(line(header), line(header.map(() => '---')));
  for (const s of r.sizes)
    for (const m of STOP_MODES)
      out.push(
        line([
          s.events.toLocaleString('en-US'),
          String(s.dataDirMiB),
          m === 'kill9' ? 'kill -9' : 'graceful',
          cell(s, m, 'acceptMs'),
          `**${cell(s, m, 'servingMs')}**`,
          `**${cell(s, m, 'streamingMs')}**`,
          String(s.restarts.filter((x) => x.mode === m && x.failure).length),
        ]),
      );
  out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

export function recoveryChart(r: RecoveryResult): string {
  const series = STOP_MODES.flatMap((m) =>
    (['servingMs', 'streamingMs'] as const).map((f) => ({
      name: `${f === 'servingMs' ? 'serving' : 'streaming'} after ${m === 'kill9' ? 'kill -9' : 'graceful stop'}`,
      color: f === 'servingMs' ? '#e6550d' : '#3182bd',
      dashed: m === 'graceful',
      points: r.sizes.flatMap((s): [number, number][] => {
        const x = restartStats(s, m, f);
        return x ? [[s.events, x.median / 1000]] : [];
      }),
    })),
  );
  return lineChart({ title: 'recovery: restart → serving / streaming vs state size (median s)', xLabel: 'events in state', yLabel: 'seconds from spawn', series });
}

function output(r: RecoveryResult): ScenarioOutput {
  const spreads: Spread[] = r.sizes.flatMap((s) =>
    STOP_MODES.flatMap((m) =>
      (['servingMs', 'streamingMs'] as const).flatMap((f) => {
        const x = restartStats(s, m, f);
        return x && x.n > 1 ? [{ label: `${s.events} events ${m} ${f}`, pct: x.spreadPct }] : [];
      }),
    ),
  );
  const summary =
    'summary: recovery (median s from spawn: serving / streaming, kill -9 | graceful) — ' +
    r.sizes
      .map((s) => {
        const f = (m: StopMode) => `${restartStats(s, m, 'servingMs') ? sec(restartStats(s, m, 'servingMs')!.median) : '-'} / ${restartStats(s, m, 'streamingMs') ? sec(restartStats(s, m, 'streamingMs')!.median) : '-'}`;
        return `${s.events.toLocaleString('en-US')} events: ${f('kill9')} | ${f('graceful')}`;
      })
      .join('; ');
  return { scenario: 'recovery', scale: r.scale, date: r.date, data: r, markdown: renderRecovery(r), charts: [{ suffix: 'restart', title: 'restart time vs state size', svg: recoveryChart(r) }], summary, spreads };
}
