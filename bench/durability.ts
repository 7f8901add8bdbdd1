/**
 * Durability figures (issue 4), in process, one Freshet frontend over a real data dir:
 *
 * 1. checkpoint cost and recovery time vs MV state size: an MV with N keys is checkpointed
 *    (time of the forced checkpoint's LevelDB batch); the node is closed and reopened, and
 *    the time until the MV serves point lookups is measured — with all state in memory and with a memory limit (cold mode: MV rows and aggregate
 *    groups stay in LevelDB at restart and are read on demand); the same for an MV fed by a
 *    datagen source (`--source-keys`), whose restart loads no table rows. Each data dir is
 *    built in one child process and restarted in a fresh one;
 * 2. bounded memory: an MV with `--big-keys` (5,000,000) keys fed by a datagen source under a
 *    `--limit` (64MiB) memory limit: ingest time, peak RSS and heap, point lookup latency
 *    (p50/p99) of hot keys (read before) and cold keys (only in LevelDB), in-process SQL and
 *    at the state table;
 * 3. checkpoint overhead on ingest: INSERT batches through an MV with 1-second checkpoints
 *    (checkpoint_frequency = 100 at 10 ms barriers) vs checkpoints disabled.
 *
 * Run: npx tsx bench/durability.ts [--keys 100000,1000000] [--limit 64MiB]
 *      [--source-keys 100000,1000000] [--big-keys 5000000] [--ingest-seconds 10] [--ingest-repeats 3]
 *      [--process]
 * (`--keys 0` / `--source-keys 0` / `--big-keys 0` / `--ingest-repeats 0` skip a part). Writes
 * bench/results/<date>-durability.md (with `--process`: <date>-durability-process.md).
 *
 * `--process`: part 1 restarts a real server (`node bin/freshet.js start --data-dir DIR
 * --object-store none [--memory-limit …]`) instead of an in-process node, and times from its
 * spawn: the first accepted connection, the first point lookup served with the right value,
 * and streaming resumed — what a user sees after a crash (issue 4: 1,000,000 keys served in
 * 2 s, streaming in 5 s). The 1M-key restart alone, with and without a limit:
 *   npx tsx bench/durability.ts --process --keys 1000000 --source-keys 1000000 --big-keys 0 --ingest-repeats 0
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type TestDb, openTestDb } from '@freshet/frontend';
import { parseByteSize } from '@freshet/storage';
import { freePort, repoRoot } from '@freshet/testkit';
import { ensureBundle, spawnFreshet } from './lib/freshet-process';

/** A node over `dataDir`, checkpoints kept local (no uploads: they would add noise); `memoryLimit` bytes of state (0: none). */
const startNode = (dataDir: string, memoryLimit = 0): Promise<TestDb> =>
  openTestDb({ dataDir, storage: { objectStore: 'none', memoryLimit: memoryLimit || undefined } });

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const keySizes = arg('keys', '100000,1000000').split(',').map(Number);
const limitText = arg('limit', '64MiB');
const limit = parseByteSize(limitText);
const bigKeys = Number(arg('big-keys', '5000000'));
const ingestSeconds = Number(arg('ingest-seconds', '10'));
/** Part 1 restarts a real server process (see the header). */
const realProcess = process.argv.includes('--process');
const ms = (t: number) => `${Math.round(t)} ms`;
const mib = () => `${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`;
const gcNow = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Part 1 builds a data dir in one process and measures the restart in a fresh one: a
 * process that already held millions of keys restarts slower (its heap is large and
 * fragmented), which is not what a restarted server sees.
 */
interface BuildResult {
  cpMs: number;
  keys: number;
  bytes: number;
}
interface RestartResult {
  /** Real process only: spawn → first accepted connection. */
  acceptMs?: number;
  servingMs: number;
  streamingMs: number;
  scanMs: number;
  rss: string;
}

/** An MV `SELECT id, count(*), sum(v) … GROUP BY id` over a table (`table`) or a datagen source (`source`) of `keys` rows, checkpointed. */
async function buildDir(kind: string, dir: string, keys: number, memoryLimit: number): Promise<BuildResult> {
  const node = await startNode(dir, memoryLimit);
  await node.query('ALTER SYSTEM SET checkpoint_frequency = 1000000');
  if (kind === 'table') {
    await node.query('CREATE TABLE t (id INT PRIMARY KEY, g INT, v INT)');
    for (let lo = 1; lo <= keys; lo += 100_000) {
      await node.query(`INSERT INTO t SELECT x, x % 1000, x % 97 FROM generate_series(${lo}, ${Math.min(keys, lo + 99_999)}) x`);
    }
    await node.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM t GROUP BY id');
  } else {
    await node.query(
      `CREATE SOURCE s (id BIGINT, v BIGINT) WITH (connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '${keys}', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', datagen.rows.per.second = '${Math.min(keys, 1_000_000)}')`,
    );
    await node.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM s GROUP BY id');
    while ((await node.query(`SELECT n FROM mv WHERE id = ${keys}`)).length === 0) await new Promise((r) => setTimeout(r, 200));
  }
  const t = performance.now();
  await node.frontend.streaming.checkpoint();
  const cpMs = performance.now() - t;
  const stats = node.frontend.streaming.durability!.store.lastCheckpointStats!;
  await node.close();
  return { cpMs, keys: stats.keys, bytes: stats.bytes };
}

/**
 * Restart → a point lookup served; → streaming resumed (table: a new row's DML visible in the
 * MV; source: a FLUSH, a barrier through the restored graph, committed); then a cold key and
 * a full scan of the MV (with a limit: read from LevelDB).
 */
async function restartDir(kind: string, dir: string, keys: number, memoryLimit: number): Promise<RestartResult> {
  let t = performance.now();
  const node = await startNode(dir, memoryLimit);
  const [[n]] = await node.query('SELECT n FROM mv WHERE id = 7');
  const servingMs = performance.now() - t;
  if (n !== '1') throw new Error(`bad lookup after restore: ${n}`);
  if (kind === 'table') {
    await node.query('INSERT INTO t VALUES (0, 0, 0)');
    await node.query('FLUSH');
    const [[n0]] = await node.query('SELECT n FROM mv WHERE id = 0');
    if (n0 !== '1') throw new Error(`DML after restore not visible: ${n0}`);
  } else {
    await node.query('FLUSH');
  }
  const streamingMs = performance.now() - t;
  const [[nk]] = await node.query(`SELECT n FROM mv WHERE id = ${keys - 3}`);
  if (nk !== '1') throw new Error(`bad cold lookup after restore: ${nk}`);
  const rss = mib();
  t = performance.now();
  const [[count]] = await node.query('SELECT count(*) FROM mv');
  const scanMs = performance.now() - t;
  const want = kind === 'table' ? keys + 1 : keys;
  if (count !== String(want)) throw new Error(`bad scan after restore: ${count}`);
  await node.close();
  return { servingMs, streamingMs, scanMs, rss };
}

/**
 * `restartDir` against a real `freshet start` process: times are from its spawn (Node's own
 * start-up included). Streaming resumed: as in `restartDir`, over the wire.
 */
async function restartProcess(kind: string, dir: string, keys: number, memoryLimit: number): Promise<RestartResult> {
  const port = await freePort();
  const args = ['--object-store', 'none', ...(memoryLimit > 0 ? ['--memory-limit', String(memoryLimit)] : [])];
  ensureBundle(repoRoot); // not timed: a bundle rebuild after a source edit is no part of a restart
  const t0 = performance.now();
  const proc = spawnFreshet(repoRoot, dir, port, { args });
  try {
    let gone = false;
    void proc.exited.then(() => (gone = true));
    let client: pg.Client | null = null;
    while (!client) {
      if (gone) throw new Error(`server exited: ${proc.logs.tail(10)}`);
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
      c.on('error', () => {});
      try {
        await c.connect();
        client = c;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const acceptMs = performance.now() - t0;
    const one = async (sql: string) => (await client.query({ text: sql, rowMode: 'array' })).rows[0]?.[0] as unknown;
    const n = await one('SELECT n FROM mv WHERE id = 7');
    const servingMs = performance.now() - t0;
    if (String(n) !== '1') throw new Error(`bad lookup after restore: ${n}`);
    if (kind === 'table') {
      await client.query('INSERT INTO t VALUES (0, 0, 0)');
      await client.query('FLUSH');
      const n0 = await one('SELECT n FROM mv WHERE id = 0');
      if (String(n0) !== '1') throw new Error(`DML after restore not visible: ${n0}`);
    } else {
      await client.query('FLUSH');
    }
    const streamingMs = performance.now() - t0;
    const nk = await one(`SELECT n FROM mv WHERE id = ${keys - 3}`);
    if (String(nk) !== '1') throw new Error(`bad cold lookup after restore: ${nk}`);
    const rss = `${Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024)} MiB`;
    const t = performance.now();
    const count = await one('SELECT count(*) FROM mv');
    const scanMs = performance.now() - t;
    const want = kind === 'table' ? keys + 1 : keys;
    if (String(count) !== String(want)) throw new Error(`bad scan after restore: ${count}`);
    await client.end();
    return { acceptMs, servingMs, streamingMs, scanMs, rss };
  } finally {
    await proc.stop('kill9');
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const us = (t: number) => (t < 1 ? `${Math.round(t * 1000)} µs` : `${t.toFixed(2)} ms`);

/** Part 2: an MV with `keys` keys from a datagen source under the memory limit. */
async function bigMvFigures(keys: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-bench-big-'));
  try {
    gcNow();
    const rss0 = process.memoryUsage().rss;
    const node = await startNode(dir, limit);
    const store = node.frontend.streaming.durability!.store;
    await node.query(
      `CREATE SOURCE s (id BIGINT, v BIGINT) WITH (connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '${keys}', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', datagen.rows.per.second = '1000000')`,
    );
    let peakRss = 0;
    let peakHeap = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const timer = setInterval(sample, 250);
    let t = performance.now();
    await node.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM s GROUP BY id');
    for (;;) {
      const r = await node.query(`SELECT n FROM mv WHERE id = ${keys}`);
      if (r.length > 0) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const ingestMs = performance.now() - t;
    await node.query('FLUSH');
    clearInterval(timer);
    gcNow();
    sample();
    const settled = process.memoryUsage();
    // Lookups: SQL in process (parse, plan, point get through the fast path) and the state table alone.
    const rnd = (() => {
      let seed = 12345;
      return () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return 1 + (seed % keys);
      };
    })();
    const table = node.frontend.streaming.job([...node.frontend.catalog.listRelations('dev', undefined, 'materialized_view')].find((r) => r.name === 'mv')!.id)!.materialize.table;
    const sqlCold: number[] = [];
    const sqlHot: number[] = [];
    const tabCold: number[] = [];
    const tabHot: number[] = [];
    const hot = Array.from({ length: 200 }, rnd);
    for (const id of hot) await node.query(`SELECT n FROM mv WHERE id = ${id}`); // warm them
    for (let i = 0; i < 2000; i++) {
      const id = rnd();
      t = performance.now();
      const r = await node.query(`SELECT n FROM mv WHERE id = ${id}`);
      sqlCold.push(performance.now() - t);
      if (r[0]?.[0] !== '1') throw new Error(`bad cold lookup of ${id}: ${JSON.stringify(r)}`);
      const h = hot[i % hot.length];
      t = performance.now();
      await node.query(`SELECT n FROM mv WHERE id = ${h}`);
      sqlHot.push(performance.now() - t);
      const id2 = BigInt(rnd());
      t = performance.now();
      const row = table.getCommitted([id2]);
      tabCold.push(performance.now() - t);
      if (row === undefined) throw new Error(`missing key ${id2}`);
      t = performance.now();
      table.getCommitted([BigInt(h)]);
      tabHot.push(performance.now() - t);
    }
    const stats = store.cacheStats;
    sample();
    await node.close();
    const f = (xs: number[]) => `${us(pct(xs, 0.5))} / ${us(pct(xs, 0.99))}`;
    return [
      '',
      `## Bounded memory: ${keys.toLocaleString('en-US')}-key MV under --memory-limit ${limitText}`,
      '',
      `\`CREATE SOURCE s\` (datagen: id sequence 1..${keys.toLocaleString('en-US')}, v random) and \`CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM s GROUP BY id\`: ${(2 * keys).toLocaleString('en-US')} state keys (aggregate groups and MV rows), in process, one node.`,
      '',
      `- ingest until the last key is served: ${ms(ingestMs)} (${Math.round(keys / (ingestMs / 1000)).toLocaleString('en-US')} rows/s)`,
      `- state cache: ${(stats.bytes / 2 ** 20).toFixed(1)} MiB estimated at the end (limit ${limitText}); ${stats.evicted.toLocaleString('en-US')} entries evicted, ${stats.coldReads.toLocaleString('en-US')} LevelDB reads`,
      `- RSS: ${Math.round(rss0 / 2 ** 20)} MiB before the node opened, peak ${Math.round(peakRss / 2 ** 20)} MiB, ${Math.round(settled.rss / 2 ** 20)} MiB after ingest and a GC (V8 heap used ${Math.round(settled.heapUsed / 2 ** 20)} MiB, peak ${Math.round(peakHeap / 2 ** 20)} MiB; external ${Math.round(settled.external / 2 ** 20)} MiB)`,
      '',
      '| point lookup (p50 / p99) | hot key (cached) | cold key (LevelDB) |',
      '|---|---|---|',
      `| SQL \`SELECT n FROM mv WHERE id = …\` in process | ${f(sqlHot)} | ${f(sqlCold)} |`,
      `| state table \`getCommitted\` | ${f(tabHot)} | ${f(tabCold)} |`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ingestRate(checkpointFrequency: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-bench-ingest-'));
  try {
    const node = await startNode(dir);
    await node.query(`ALTER SYSTEM SET checkpoint_frequency = ${checkpointFrequency}`);
    await node.query('CREATE TABLE ev (id BIGINT PRIMARY KEY, u INT, v INT)');
    await node.query('CREATE MATERIALIZED VIEW f AS SELECT u, count(*) AS n, sum(v) AS s FROM ev GROUP BY u');
    const end = performance.now() + ingestSeconds * 1000;
    let id = 0;
    const start = performance.now();
    while (performance.now() < end) {
      await node.query(`INSERT INTO ev SELECT x, x % 10000, x % 13 FROM generate_series(${id + 1}, ${id + 1000}) x`);
      id += 1000;
    }
    await node.query('FLUSH');
    const rate = id / ((performance.now() - start) / 1000);
    await node.close();
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rowArg = arg('row', '');
if (rowArg !== '') {
  const [step, kind, dir, k, l] = rowArg.split(',');
  const restart = realProcess ? restartProcess : restartDir;
  const r = step === 'build' ? await buildDir(kind, dir, Number(k), Number(l)) : await restart(kind, dir, Number(k), Number(l));
  console.log(`RESULT ${JSON.stringify(r)}`);
  process.exit(0);
}
function inChild<T>(step: 'build' | 'restart', kind: string, dir: string, keys: number, memoryLimit: number): T {
  const argv = [...process.execArgv, process.argv[1], '--row', `${step},${kind},${dir},${keys},${memoryLimit}`, '--limit', limitText, ...(realProcess ? ['--process'] : [])];
  const out = execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from ${step} ${kind} ${keys}`);
  return JSON.parse(line.slice(7)) as T;
}

/** One row of part 1: a data dir built, then restarted in a fresh process. */
function restartRow(kind: 'table' | 'source', keys: number, memoryLimit: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-bench-dur-'));
  try {
    const b = inChild<BuildResult>('build', kind, dir, keys, memoryLimit);
    const r = inChild<RestartResult>('restart', kind, dir, keys, memoryLimit);
    const mode = memoryLimit > 0 ? `limit ${limitText}` : 'all in memory';
    const what = kind === 'table' ? 'table' : 'datagen source';
    const accept = realProcess ? ` ${ms(r.acceptMs!)} |` : '';
    return `| ${keys.toLocaleString('en-US')} | ${what} | ${mode} | ${ms(b.cpMs)} (${b.keys.toLocaleString('en-US')} keys, ${(b.bytes / 2 ** 20).toFixed(1)} MiB) |${accept} ${ms(r.servingMs)} | ${ms(r.streamingMs)} | ${ms(r.scanMs)} | ${r.rss} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines: string[] = [
  `# Durability figures (${new Date().toISOString().slice(0, 10)})`,
  '',
  realProcess
    ? 'Restarts of a real server (`node bin/freshet.js start --data-dir DIR --object-store none [--memory-limit …]`, times from its spawn); data dirs built in process. `npx tsx bench/durability.ts --process`.'
    : 'In process (one frontend, real LevelDB data dir, no object store uploads), `npx tsx bench/durability.ts`.',
  `Machine shared with other jobs (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores at the start): absolute figures are noisy; compare rows of one run.`,
  '',
  '## Checkpoint and recovery vs MV state size',
  '',
  "MV `SELECT id, count(*), sum(v) … GROUP BY id` over N rows of a table `t` or of a datagen source `s` (id 1..N): 2N state keys (the aggregate's groups and the MV's rows). The data dir is built and checkpointed in one process and restarted in a fresh one. A table's first 100,000 rows load before serving and the rest in the background (reads by key fall back to LevelDB meanwhile); the MV state is not loaded before serving — with a memory limit it stays in LevelDB and is read on demand, without one it is read on demand until a background load has brought it into memory. Streaming resumed: a new row's DML visible in the MV (table), a FLUSH through the restored graph (source). Full scan: `SELECT count(*) FROM mv` right after the restart (merging LevelDB with memory while the state is not all in memory).",
  '',
  `| MV keys | fed by | state | forced checkpoint (full state) |${realProcess ? ' spawn → accept |' : ''} restart → point lookup served | restart → streaming resumed | full scan of the MV | RSS after the restart |`,
  `|---|---|---|---|${realProcess ? '---|' : ''}---|---|---|---|`,
];
const sourceSizes = arg('source-keys', '100000,1000000').split(',').map(Number).filter((n) => n > 0);
for (const [kind, sizes] of [['table', keySizes.filter((n) => n > 0)], ['source', sourceSizes]] as const) {
  for (const k of sizes) {
    for (const memoryLimit of [0, limit]) {
      const line = restartRow(kind, k, memoryLimit);
      console.log(line);
      lines.push(line);
    }
  }
}
if (bigKeys > 0) {
  const big = await bigMvFigures(bigKeys);
  console.log(big.join('\n'));
  lines.push(...big);
}
// Alternating runs, median of each: the machine's load drifts during a run.
const repeats = Number(arg('ingest-repeats', '3'));
if (repeats === 0) {
  writeResults();
  process.exit(0);
}
const onRuns: number[] = [];
const offRuns: number[] = [];
for (let i = 0; i < repeats; i++) {
  onRuns.push(await ingestRate(100));
  offRuns.push(await ingestRate(1_000_000_000));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const on = median(onRuns);
const off = median(offRuns);
const ingest = [
  '',
  '## Checkpoint overhead on ingest',
  '',
  `INSERT … SELECT of 1,000-row batches into a table with one aggregate MV (10,000 groups) for ${ingestSeconds} s (one session); median of ${repeats} alternating runs each.`,
  '',
  '| checkpoints | rows/s |',
  '|---|---|',
  `| every 1 s (checkpoint_frequency 100 × 10 ms) | ${Math.round(on).toLocaleString('en-US')} |`,
  `| disabled | ${Math.round(off).toLocaleString('en-US')} |`,
  '',
  `Overhead: ${((1 - on / off) * 100).toFixed(1)}%`,
];
console.log(ingest.join('\n'));
lines.push(...ingest);
writeResults();

function writeResults(): void {
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const name = `${new Date().toISOString().slice(0, 10)}-durability${realProcess ? '-process' : ''}.md`;
  writeFileSync(join(import.meta.dirname, 'results', name), `${lines.join('\n')}\n`);
}
