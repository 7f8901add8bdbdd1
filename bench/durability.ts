/**
 * Durability figures (issue 4), in process, one Freshet frontend over a real data dir:
 *
 * 1. checkpoint cost and recovery time vs MV state size: an MV with N keys is checkpointed
 *    (time of the forced checkpoint's LevelDB batch); the node is closed and reopened, and
 *    the time until the MV serves point lookups is measured — restored from the checkpoint,
 *    and, for comparison, rebuilt by backfill (the behaviour before durable state);
 * 2. checkpoint overhead on ingest: INSERT batches through an MV with 1-second checkpoints
 *    (checkpoint_frequency = 100 at 10 ms barriers) vs checkpoints disabled.
 *
 * Run: npx tsx bench/durability.ts [--keys 100000,1000000] [--ingest-seconds 10] [--ingest-repeats 3]
 * (`--keys 0`: ingest only). Writes bench/results/<date>-durability.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDb, openTestDb } from '@freshet/frontend';

/** A node over `dataDir`, checkpoints kept local (no uploads: they would add noise). */
const startNode = (dataDir: string): Promise<TestDb> => openTestDb({ dataDir, storage: { objectStore: 'none' } });

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const keySizes = arg('keys', '100000,1000000').split(',').map(Number);
const ingestSeconds = Number(arg('ingest-seconds', '10'));
const ms = (t: number) => `${Math.round(t)} ms`;
const mib = () => `${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`;

async function recoveryFigures(keys: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-bench-dur-'));
  try {
    let node = await startNode(dir);
    await node.query('ALTER SYSTEM SET checkpoint_frequency = 1000000');
    await node.query('CREATE TABLE t (id INT PRIMARY KEY, g INT, v INT)');
    for (let lo = 1; lo <= keys; lo += 100_000) {
      await node.query(`INSERT INTO t SELECT x, x % 1000, x % 97 FROM generate_series(${lo}, ${Math.min(keys, lo + 99_999)}) x`);
    }
    await node.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM t GROUP BY id');
    let t = performance.now();
    await node.frontend.streaming.checkpoint();
    const cpMs = performance.now() - t;
    const stats = node.frontend.streaming.durability!.store.lastCheckpointStats!;
    await node.close();

    t = performance.now();
    node = await startNode(dir);
    const [[n]] = await node.query('SELECT n FROM mv WHERE id = 7');
    const restoreMs = performance.now() - t;
    if (n !== '1') throw new Error(`bad lookup after restore: ${n}`);
    await node.query('INSERT INTO t VALUES (0, 0, 0)');
    await node.query('FLUSH');
    const streamingMs = performance.now() - t;
    const rss = mib();
    await node.close();

    // The same data without a checkpoint of the MV: it is rebuilt by backfill at restart.
    const dir2 = mkdtempSync(join(tmpdir(), 'freshet-bench-dur-'));
    let node2 = await startNode(dir2);
    await node2.query('ALTER SYSTEM SET checkpoint_frequency = 1000000');
    await node2.query('CREATE TABLE t (id INT PRIMARY KEY, g INT, v INT)');
    for (let lo = 1; lo <= keys; lo += 100_000) {
      await node2.query(`INSERT INTO t SELECT x, x % 1000, x % 97 FROM generate_series(${lo}, ${Math.min(keys, lo + 99_999)}) x`);
    }
    await node2.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM t GROUP BY id');
    await node2.close();
    t = performance.now();
    node2 = await startNode(dir2);
    await node2.query('SELECT n FROM mv WHERE id = 7');
    const rebuildMs = performance.now() - t;
    await node2.close();
    rmSync(dir2, { recursive: true, force: true });
    return `| ${keys.toLocaleString('en-US')} | ${ms(cpMs)} (${stats.keys.toLocaleString('en-US')} keys, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB) | ${ms(restoreMs)} | ${ms(streamingMs)} | ${ms(rebuildMs)} | ${rss} |`;
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

const lines: string[] = [
  `# Durability figures (${new Date().toISOString().slice(0, 10)})`,
  '',
  'In process (one frontend, real LevelDB data dir, no object store uploads), `npx tsx bench/durability.ts`.',
  `Machine shared with other jobs (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores at the start): absolute figures are noisy; compare rows of one run.`,
  '',
  '## Checkpoint and recovery vs MV state size',
  '',
  'MV `SELECT id, count(*), sum(v) FROM t GROUP BY id` over N rows: 2N state keys (the aggregate\'s intermediate rows and the MV\'s rows).',
  '',
  '| MV keys | forced checkpoint (full state) | restart → point lookup served | restart → DML visible in MV | restart with rebuild by backfill | RSS |',
  '|---|---|---|---|---|---|',
];
for (const k of keySizes.filter((n) => n > 0)) {
  const line = await recoveryFigures(k);
  console.log(line);
  lines.push(line);
}
// Alternating runs, median of each: the machine's load drifts during a run.
const repeats = Number(arg('ingest-repeats', '3'));
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
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', `${new Date().toISOString().slice(0, 10)}-durability.md`), `${lines.join('\n')}\n`);
