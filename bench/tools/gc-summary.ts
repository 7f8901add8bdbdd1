/**
 * Summarises V8's `--trace-gc-nvp` output (bench/tools/gc-trace-hook.mjs): per process, the
 * scavenges and mark-compacts, the main thread's time in each, and the work V8's helper
 * threads did. What a CPU profile's "(garbage collector)" share does not tell apart: a
 * full collection's stall on a loaded 2-core machine is mostly the main thread's own
 * marking steps (`incremental=`), a few hundred ms in the half second before the pause,
 * not the pause itself (docs/performance.md, session 29).
 *
 *   FRESHET_TEST_VERBOSE=1 BENCH_FRESHET_NODE_OPTIONS="--import bench/tools/gc-trace-hook.mjs" \
 *     npm run bench -- freshness --source kafka --scale full --rates 50000 2> trace.txt
 *   node --import tsx bench/tools/gc-summary.ts trace.txt [--from S] [--to S]
 *
 * `--from`/`--to`: only collections between S seconds after each process started (V8's
 * clock in the trace), e.g. the probe window of a freshness run.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile } from '../lib/stats';

export interface GcEvent {
  pid: number;
  /** Milliseconds since the isolate started. */
  atMs: number;
  /** `s` scavenge, `mc` mark-compact, or another of V8's kinds. */
  kind: string;
  /** The main thread's stop-the-world pause. */
  pauseMs: number;
  /** Mark-compacts: the main thread's marking steps before the pause, added up. */
  incrementalMs: number;
  /** Mark-compacts: marking done by V8's helper threads. */
  backgroundMarkMs: number;
  promotedBytes: number;
}

const LINE = /\[(\d+):0x[0-9a-f]+\]\s+(\d+) ms: (pause=.*)$/;

/** One collection from a `--trace-gc-nvp` line, or null for any other line. */
export function parseNvpLine(line: string): GcEvent | null {
  const m = LINE.exec(line);
  if (m === null) return null;
  const fields = new Map<string, string>();
  for (const pair of m[3].split(' ')) {
    const at = pair.indexOf('=');
    if (at > 0) fields.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const num = (name: string) => Number(fields.get(name) ?? 0) || 0;
  return {
    pid: Number(m[1]),
    atMs: Number(m[2]),
    kind: fields.get('gc') ?? '?',
    pauseMs: num('pause'),
    incrementalMs: num('incremental'),
    backgroundMarkMs: num('background.mark'),
    promotedBytes: num('promoted'),
  };
}

export interface ProcessGc {
  pid: number;
  fromMs: number;
  toMs: number;
  scavenges: { count: number; pauseMs: number; p50Ms: number; p99Ms: number; maxMs: number; promotedBytes: number };
  markCompacts: { count: number; pauseMs: number; maxPauseMs: number; incrementalMs: number; maxStallMs: number; backgroundMarkMs: number };
  /** Scavenge and mark-compact pauses plus the marking steps. */
  mainThreadMs: number;
}

/** Per process (in order of first appearance), the collections between fromMs and toMs. */
export function summarizeGc(events: readonly GcEvent[], fromMs = 0, toMs = Infinity): ProcessGc[] {
  const byPid = new Map<number, GcEvent[]>();
  for (const e of events) {
    if (e.atMs < fromMs || e.atMs > toMs) continue;
    let list = byPid.get(e.pid);
    if (list === undefined) byPid.set(e.pid, (list = []));
    list.push(e);
  }
  return [...byPid].map(([pid, list]) => {
    const scav = list.filter((e) => e.kind === 's');
    const mc = list.filter((e) => e.kind === 'mc');
    const pauses = scav.map((e) => e.pauseMs);
    const sum = (xs: readonly GcEvent[], f: (e: GcEvent) => number) => xs.reduce((a, e) => a + f(e), 0);
    const max = (xs: readonly GcEvent[], f: (e: GcEvent) => number) => xs.reduce((a, e) => Math.max(a, f(e)), 0);
    const markCompacts = {
      count: mc.length,
      pauseMs: sum(mc, (e) => e.pauseMs),
      maxPauseMs: max(mc, (e) => e.pauseMs),
      incrementalMs: sum(mc, (e) => e.incrementalMs),
      // What one collection took from the main thread: its steps and its pause.
      maxStallMs: max(mc, (e) => e.incrementalMs + e.pauseMs),
      backgroundMarkMs: sum(mc, (e) => e.backgroundMarkMs),
    };
    const scavenges = {
      count: scav.length,
      pauseMs: sum(scav, (e) => e.pauseMs),
      p50Ms: pauses.length === 0 ? 0 : percentile(pauses, 50),
      p99Ms: pauses.length === 0 ? 0 : percentile(pauses, 99),
      maxMs: max(scav, (e) => e.pauseMs),
      promotedBytes: sum(scav, (e) => e.promotedBytes),
    };
    return {
      pid,
      fromMs: list[0].atMs,
      toMs: list[list.length - 1].atMs,
      scavenges,
      markCompacts,
      mainThreadMs: sum(list, (e) => e.pauseMs) + markCompacts.incrementalMs,
    };
  });
}

const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

export function formatGc(p: ProcessGc): string {
  const span = p.toMs - p.fromMs;
  const share = (x: number) => (span > 0 ? ` (${((100 * x) / span).toFixed(1)}% of the time)` : '');
  const s = p.scavenges;
  const m = p.markCompacts;
  return [
    `pid ${p.pid}, ${(p.fromMs / 1000).toFixed(1)}–${(p.toMs / 1000).toFixed(1)} s:`,
    `  scavenges: ${s.count}, pauses ${ms(s.pauseMs)}${share(s.pauseMs)}, p50 ${s.p50Ms.toFixed(1)} / p99 ${s.p99Ms.toFixed(1)} / max ${s.maxMs.toFixed(1)} ms; promoted ${(s.promotedBytes / 1e6).toFixed(0)} MB`,
    `  mark-compacts: ${m.count}, pauses ${ms(m.pauseMs)} (max ${m.maxPauseMs.toFixed(1)}), main-thread marking steps ${ms(m.incrementalMs)}, at most ${ms(m.maxStallMs)} of steps and pause per collection; helper threads' marking ${ms(m.backgroundMarkMs)}`,
    `  main thread in GC: ${ms(p.mainThreadMs)}${share(p.mainThreadMs)}`,
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const usage = [
    'usage: gc-summary.ts TRACE.txt… [--from S] [--to S]',
    '  TRACE.txt        output of a process run with --trace-gc-nvp (bench/tools/gc-trace-hook.mjs)',
    '  --from S --to S  only the collections between S and S seconds after each process started',
  ].join('\n');
  if (values.help) {
    console.log(usage);
    return;
  }
  if (positionals.length === 0) {
    console.error(usage);
    process.exit(2);
  }
  const events: GcEvent[] = [];
  for (const file of positionals) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const e = parseNvpLine(line);
      if (e !== null) events.push(e);
    }
  }
  const from = values.from === undefined ? 0 : Number(values.from) * 1000;
  const to = values.to === undefined ? Infinity : Number(values.to) * 1000;
  const out = summarizeGc(events, from, to);
  if (out.length === 0) console.log('no --trace-gc-nvp lines in that window');
  for (const p of out) console.log(formatGc(p));
}

if (process.argv[1] !== undefined && /gc-summary\.ts$/.test(process.argv[1])) main();
