/**
 * Issue 4's memory figure on a real server: `freshet start --memory-limit L` with an MV of
 * N keys fed by a datagen source (N rows, ids 1..N), sampled while it fills and afterwards:
 * the process's RSS (peak and settled) and where it goes, the fill rate (wall and per CPU
 * second of the server) with the load average, GC pauses, checkpoint sizes, the cache and
 * state sizes it reports (rw_catalog.rw_checkpoint_status), and point lookups of keys across
 * the whole range (most of them read from LevelDB).
 *
 *   node --import tsx bench/tools/memory-limit-rss.ts [--keys 5000000] [--limit 64MiB]
 *     [--checkpoint-frequency N] [--trace-gc] [--heap-snapshots] [--final-snapshot] [--v8-flags=...] [--node-options=...] [--direct]
 *
 * The server runs as users run it, through the `freshet` command (bin/freshet: node with the
 * start-up settings for the limit); `--direct` runs `node bin/freshet.js` without them.
 *
 * The breakdown comes from inside the server: a preload module (written to the temp dir and
 * passed with NODE_OPTIONS=--import, so the server itself is unchanged) appends
 * `process.memoryUsage()`, RssAnon/RssFile, V8's heap spaces and GC pauses to a file every
 * 250 ms. Printed over time: RSS (anonymous and file-backed: the binary and LevelDB's
 * mmapped table files, which lookups page in), V8 heap committed/used, ArrayBuffers, and
 * "other anon" — anonymous RSS outside V8's heap and ArrayBuffers: LevelDB (memtables,
 * block cache, batch copies), malloc arenas and fragmentation, the parser's WebAssembly
 * pages. `--trace-gc` / `--heap-snapshots` keep the temp dir (server log, snapshots).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '@freshet/testkit';
import { spawnFreshet } from '../lib/freshet-process';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '5000000' },
    limit: { type: 'string', default: '64MiB' },
    'trace-gc': { type: 'boolean', default: false },
    /** Writes V8 heap snapshots (halfway through the fill and settled) to the temp dir, kept. */
    'heap-snapshots': { type: 'boolean', default: false },
    /** Writes one V8 heap snapshot after the lookups, once every figure is taken (the temp dir is kept). */
    'final-snapshot': { type: 'boolean', default: false },
    /** Extra NODE_OPTIONS for the server (e.g. --max-semi-space-size=8). */
    'node-options': { type: 'string', default: '' },
    /** ALTER SYSTEM SET checkpoint_frequency (barriers per checkpoint) before the MV; default: the server's. */
    'checkpoint-frequency': { type: 'string' },
    /** V8 flags the server sets at start with v8.setFlagsFromString (those read at each GC, e.g. --heap-growing-percent=20). */
    'v8-flags': { type: 'string', default: '' },
    /** Runs `node bin/freshet.js start` instead of the `freshet` command (bin/freshet), i.e. without its start-up settings. */
    direct: { type: 'boolean', default: false },
  },
});
const keys = Number(values.keys);
const repoRoot = join(import.meta.dirname, '../..');
const MiB = 2 ** 20;

/** One sample the preload wrote (bytes). */
interface Sample {
  t: number;
  rss: number;
  /** RSS of anonymous memory and of mapped files (the binary, LevelDB's table files), bytes. */
  anon: number;
  file: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Heap in use right after the last full collection (≈ live bytes; 0: none yet). */
  live: number;
  /** V8 heap space → committed bytes. */
  spaces: Record<string, number>;
  /** GC pauses of the main thread so far: total ms, count. */
  gcMs: number;
  gcs: number;
}

/** The preload: samples memory into `file` every 250 ms (unref'd: never keeps the server alive). */
function samplerSource(file: string, v8Flags: string[]): string {
  return `
import { appendFileSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
let gcMs = 0;
let gcs = 0;
let live = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcs++;
    // Right after a full collection the heap in use is about what is live.
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) live = v8.getHeapStatistics().used_heap_size;
  }
}).observe({ entryTypes: ['gc'] });
for (const f of ${JSON.stringify(v8Flags)}) v8.setFlagsFromString(f);
const file = ${JSON.stringify(file)};
const kb = (s, name) => Number(new RegExp(name + ':\\\\s+(\\\\d+) kB').exec(s)?.[1] ?? 0) * 1024;
setInterval(() => {
  const m = process.memoryUsage();
  const st = readFileSync('/proc/self/status', 'utf8');
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
  appendFileSync(file, JSON.stringify({ t: Date.now(), rss: m.rss, anon: kb(st, 'RssAnon'), file: kb(st, 'RssFile'), heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, live, spaces, gcMs, gcs }) + '\\n');
}, 250).unref();
`;
}

/** Resident memory of `pid` (Linux /proc): total, anonymous, file-backed, MiB. */
function rssOf(pid: number): { rss: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** File-backed RSS of `pid` by file (/proc smaps): LevelDB's table files together, the rest by path, MiB, largest first. */
function fileRssOf(pid: number): string {
  const by = new Map<string, number>();
  let cur: string | null = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      cur = m[1].startsWith('/') ? (m[1].endsWith('.ldb') ? 'LevelDB tables' : m[1]) : null;
      continue;
    }
    if (cur !== null && line.startsWith('Rss:')) by.set(cur, (by.get(cur) ?? 0) + Number(line.split(/\s+/)[1]) / 1024);
  }
  return [...by].filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
}

/** CPU seconds `pid` used so far (user + system). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function readSamples(file: string): Sample[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as Sample);
    } catch {
      // a line being written
    }
  }
  return out;
}

async function connect(port: number): Promise<pg.Client> {
  for (let i = 0; ; i++) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
    try {
      await c.connect();
      return c;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Anonymous RSS that is neither V8's heap nor ArrayBuffers: LevelDB (memtables, block
 * cache, the native copy of a write batch), malloc arenas and fragmentation, the parser's
 * WebAssembly memory pages in use (its 128 MiB is in `external` but mostly untouched), code.
 */
function checkpointSummary(cps: { keys: number; bytes: number; ms: number }[]): string {
  if (cps.length === 0) return 'none';
  const avg = (f: (c: (typeof cps)[0]) => number) => cps.reduce((n, c) => n + f(c), 0) / cps.length;
  const max = (f: (c: (typeof cps)[0]) => number) => Math.max(...cps.map(f));
  return (
    `keys avg ${Math.round(avg((c) => c.keys)).toLocaleString('en-US')} / max ${max((c) => c.keys).toLocaleString('en-US')}, ` +
    `bytes avg ${(avg((c) => c.bytes) / MiB).toFixed(1)} / max ${(max((c) => c.bytes) / MiB).toFixed(1)} MiB, ` +
    `duration avg ${avg((c) => c.ms).toFixed(0)} / max ${max((c) => c.ms).toFixed(0)} ms`
  );
}

/** The server's memory manager lines (packages/server/src/memory-manager.ts): the first (baseline) and the last (scale). */
function memoryManagerSummary(log: string): string {
  const lines = log.split('\n').filter((l) => l.includes('freshet.memory:'));
  if (lines.length === 0) return 'none';
  const text = (l: string) => l.slice(l.indexOf('memory: ') + 8);
  return lines.length === 1 ? text(lines[0]) : `${text(lines[0])}; last of ${lines.length - 1} changes: ${text(lines[lines.length - 1])}`;
}

const otherAnon = (s: Sample) => s.anon - s.heapTotal - s.arrayBuffers;
const mib = (b: number) => (b / MiB).toFixed(0).padStart(5);
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

const dir = mkdtempSync(join(tmpdir(), 'freshet-rss-'));
const samplesFile = join(dir, 'memory.jsonl');
const preload = join(dir, 'sampler.mjs');
const v8Flags = values['v8-flags']!.split(/\s+/).filter((f) => f !== '');
if (values['trace-gc']) v8Flags.push('--trace-gc');
writeFileSync(preload, samplerSource(samplesFile, v8Flags));
const port = await freePort();
const savedNodeOptions = process.env.NODE_OPTIONS;
const snapshots = values['heap-snapshots']!;
const finalSnapshot = values['final-snapshot']!;
process.env.NODE_OPTIONS = `${savedNodeOptions ?? ''} --import=${preload} ${snapshots || finalSnapshot ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` : ''} ${values['node-options']}`.trim();
const server = spawnFreshet(repoRoot, join(dir, 'data'), port, { args: ['--memory-limit', values.limit!, '--object-store', 'none'], launcher: !values.direct });
if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
else process.env.NODE_OPTIONS = savedNodeOptions;
const phases: { name: string; at: number }[] = [];
const keep = values['trace-gc'] || snapshots || finalSnapshot;

/** Asks the server for a heap snapshot and waits until the file is complete (size stable). */
async function heapSnapshot(): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(server.pid, 'SIGUSR2');
  for (let last = -1; ; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
    if (f === undefined) continue;
    const size = statSync(join(dir, f)).size;
    if (size > 0 && size === last) {
      console.log(`\nheap snapshot: ${join(dir, f)}`);
      return;
    }
    last = size;
  }
}
try {
  const c = await connect(port);
  // Idle: a moment after start, so start-up garbage has been collected once.
  await new Promise((r) => setTimeout(r, 2000));
  const idle = rssOf(server.pid);
  const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  const arenas = /(?:^|\0)MALLOC_ARENA_MAX=([^\0]*)/.exec(readFileSync(`/proc/${server.pid}/environ`, 'utf8'))?.[1] ?? 'unset';
  const launchedAs = `server: ${argv.slice(0, argv.findIndex((a) => a.endsWith('freshet.js')) + 1).join(' ')} … (MALLOC_ARENA_MAX ${arenas})`;
  const cpu0 = cpuSeconds(server.pid);
  const load0 = loadavg()[0];
  const t0 = performance.now();
  if (values['checkpoint-frequency']) await c.query(`ALTER SYSTEM SET checkpoint_frequency = ${Number(values['checkpoint-frequency'])}`);
  phases.push({ name: 'fill', at: Date.now() });
  await c.query(
    `CREATE SOURCE s (id BIGINT, v BIGINT) WITH (connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '${keys}', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', datagen.rows.per.second = '1000000')`,
  );
  await c.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM s GROUP BY id');
  let peak = idle.rss;
  /** Checkpoints seen while filling (by epoch): their size and duration. */
  let maxStateBytes = 0;
  let halfwaySnapshot = false;
  const checkpoints = new Map<string, { keys: number; bytes: number; ms: number }>();
  for (;;) {
    peak = Math.max(peak, rssOf(server.pid).rss);
    const { rows } = await c.query({ text: `SELECT n FROM mv WHERE id = ${keys}`, rowMode: 'array' });
    if (rows.length > 0) break;
    const done = Number((await c.query({ text: 'SELECT rows_in FROM rw_catalog.rw_mv_freshness LIMIT 1', rowMode: 'array' })).rows[0]?.[0] ?? 0);
    const cp = (
      await c.query({ text: 'SELECT checkpoint_epoch, last_checkpoint_keys, last_checkpoint_bytes, last_checkpoint_ms, state_bytes FROM rw_catalog.rw_checkpoint_status', rowMode: 'array' })
    ).rows[0];
    maxStateBytes = Math.max(maxStateBytes, Number(cp?.[4] ?? 0));
    if (cp?.[0] != null) checkpoints.set(String(cp[0]), { keys: Number(cp[1]), bytes: Number(cp[2]), ms: Number(cp[3]) });
    if (snapshots && !halfwaySnapshot && done >= keys / 2) {
      halfwaySnapshot = true;
      await heapSnapshot();
    }
    process.stdout.write(`\rfilling: ${done.toLocaleString('en-US')} / ${keys.toLocaleString('en-US')} rows, RSS ${rssOf(server.pid).rss.toFixed(0)} MiB   `);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const fillS = (performance.now() - t0) / 1000;
  const fillCpu = cpuSeconds(server.pid) - cpu0;
  const load1 = loadavg()[0];
  phases.push({ name: 'settle', at: Date.now() });
  // Let the last checkpoints land and the cache settle, then sample.
  let settled = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    settled = rssOf(server.pid).rss;
    peak = Math.max(peak, settled);
  }
  if (snapshots) await heapSnapshot();
  const status = (
    await c.query({ text: 'SELECT memory_limit_bytes, state_bytes, state_evictions, state_cold_reads FROM rw_catalog.rw_checkpoint_status', rowMode: 'array' })
  ).rows[0];
  phases.push({ name: 'lookups', at: Date.now() });
  const lat: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = 1 + Math.floor(Math.random() * keys);
    const t = performance.now();
    const { rows } = await c.query({ text: 'SELECT n FROM mv WHERE id = $1', values: [id], rowMode: 'array' });
    lat.push(performance.now() - t);
    if (rows.length !== 1 || String(rows[0][0]) !== '1') throw new Error(`key ${id}: got ${JSON.stringify(rows)}`);
  }
  lat.sort((a, b) => a - b);
  // Not in `peak`: random lookups map LevelDB's table files in (file-backed, reclaimable RSS).
  const after = rssOf(server.pid);
  const afterFiles = fileRssOf(server.pid);
  await c.end();
  if (finalSnapshot) await heapSnapshot();

  // The breakdown over time: one line every ~2 s (and the peak-RSS sample).
  const samples = readSamples(samplesFile).filter((s) => s.t >= phases[0].at - 1000);
  const peakSample = samples.reduce<Sample | null>((p, s) => (p === null || s.rss > p.rss ? s : p), null);
  const lines: string[] = [];
  lines.push(row(['t (s)', 'phase', 'RSS', 'anon', 'file', 'heap committed', 'heap used', 'live (last full GC)', 'new space', 'old space', 'arrayBuffers', 'other anon']));
  lines.push(row(Array(12).fill('---')));
  let lastT = -Infinity;
  for (const s of samples) {
    if (s.t - lastT < 2000 && s !== peakSample) continue;
    lastT = s.t;
    const phase = [...phases].reverse().find((p) => s.t >= p.at)?.name ?? 'idle';
    lines.push(
      row([
        ((s.t - phases[0].at) / 1000).toFixed(1),
        s === peakSample ? `${phase} (peak)` : phase,
        mib(s.rss),
        mib(s.anon),
        mib(s.file),
        mib(s.heapTotal),
        mib(s.heapUsed),
        mib(s.live ?? 0),
        mib(s.spaces.new_space ?? 0),
        mib(s.spaces.old_space ?? 0),
        mib(s.arrayBuffers),
        mib(otherAnon(s)),
      ]),
    );
  }
  const fillSamples = samples.filter((s) => s.t >= phases[0].at && s.t < phases[1].at);
  const gcPause = fillSamples.length < 2 ? 0 : fillSamples[fillSamples.length - 1].gcMs - fillSamples[0].gcMs;
  const gcCount = fillSamples.length < 2 ? 0 : fillSamples[fillSamples.length - 1].gcs - fillSamples[0].gcs;
  const max = (f: (s: Sample) => number) => (samples.length === 0 ? 0 : Math.max(...samples.map(f)));
  // One sample at the end of a phase can fall anywhere in a collection cycle (±15 MiB between
  // identical runs): the median of the fill's samples (every 250 ms) is the steadier figure.
  const fillRss = fillSamples.map((s) => s.rss).sort((a, b) => a - b);
  const medianFill = fillRss.length === 0 ? 0 : fillRss[Math.floor(fillRss.length / 2)];
  console.log(
    `\n${launchedAs}\n${keys.toLocaleString('en-US')}-key MV under --memory-limit ${values.limit}: filled in ${fillS.toFixed(1)} s (${Math.round(keys / fillS).toLocaleString('en-US')} rows/s wall; ` +
      `${fillCpu.toFixed(1)} CPU s in the server, ${Math.round(keys / fillCpu).toLocaleString('en-US')} rows per CPU s); load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; ` +
      `GC pauses on the main thread while filling: ${(gcPause / 1000).toFixed(1)} s in ${gcCount.toLocaleString('en-US')} collections\n` +
      `RSS: ${idle.rss.toFixed(0)} MiB idle before the MV, peak ${peak.toFixed(0)} MiB while filling and settling (median while filling ${mib(medianFill).trim()}), ${settled.toFixed(0)} MiB settled, ${after.rss.toFixed(0)} MiB after the lookups ` +
      `(anon ${after.anon.toFixed(0)}, file ${after.file.toFixed(0)}: ${afterFiles})\n` +
      `max over the run: heap committed ${mib(max((s) => s.heapTotal)).trim()} MiB, heap used ${mib(max((s) => s.heapUsed)).trim()} MiB, arrayBuffers ${mib(max((s) => s.arrayBuffers)).trim()} MiB, other anon ${mib(max(otherAnon)).trim()} MiB\n` +
      `checkpoints while filling (one sampled a second, ${checkpoints.size} seen): ${checkpointSummary([...checkpoints.values()])}\n` +
      `state in memory (rw_checkpoint_status.state_bytes): ${(Number(status[1]) / MiB).toFixed(1)} MiB (limit ${(Number(status[0]) / MiB).toFixed(1)} MiB; at most ${(maxStateBytes / MiB).toFixed(1)} MiB while filling, sampled a second); ${Number(status[2]).toLocaleString('en-US')} evictions, ${Number(status[3]).toLocaleString('en-US')} cold reads\n` +
      `memory manager (server log): ${memoryManagerSummary(server.logs.toString())}\n` +
      `2,000 lookups of random keys (all served, most from LevelDB): p50 ${lat[1000].toFixed(3)} ms, p99 ${lat[1980].toFixed(3)} ms\n\n` +
      `Memory over time (MiB; t from CREATE SOURCE):\n${lines.join('\n')}`,
  );
} finally {
  await server.stop('graceful');
  if (keep) {
    writeFileSync(join(dir, 'server.log'), server.logs.toString());
    console.log(`server log: ${join(dir, 'server.log')}`);
    rmSync(join(dir, 'data'), { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}
