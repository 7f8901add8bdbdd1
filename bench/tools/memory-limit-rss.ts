/**
 * Issue 4's memory figure on a real server: `freshet start --memory-limit L` with an MV of
 * N keys fed by a datagen source (N rows, ids 1..N), sampled while it fills and afterwards:
 * the process's RSS (peak and settled), the cache and state sizes it reports
 * (rw_catalog.rw_checkpoint_status), and point lookups of keys across the whole range
 * (most of them read from LevelDB).
 *
 *   node --import tsx bench/tools/memory-limit-rss.ts [--keys 5000000] [--limit 64MiB]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { spawnFreshet } from '../lib/freshet-process';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '5000000' }, limit: { type: 'string', default: '64MiB' } } });
const keys = Number(values.keys);
const repoRoot = join(import.meta.dirname, '../..');

/** Resident memory of `pid`, MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
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

const dir = mkdtempSync(join(tmpdir(), 'freshet-rss-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawnFreshet(repoRoot, dir, port, { args: ['--memory-limit', values.limit!, '--object-store', 'none'] });
try {
  const c = await connect(port);
  const idle = rssMiB(server.pid);
  const t0 = performance.now();
  await c.query(
    `CREATE SOURCE s (id BIGINT, v BIGINT) WITH (connector = 'datagen', fields.id.kind = 'sequence', fields.id.start = '1', fields.id.end = '${keys}', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', datagen.rows.per.second = '1000000')`,
  );
  await c.query('CREATE MATERIALIZED VIEW mv AS SELECT id, count(*) AS n, sum(v) AS s FROM s GROUP BY id');
  let peak = idle;
  for (;;) {
    peak = Math.max(peak, rssMiB(server.pid));
    const { rows } = await c.query({ text: `SELECT n FROM mv WHERE id = ${keys}`, rowMode: 'array' });
    if (rows.length > 0) break;
    const done = Number((await c.query({ text: 'SELECT rows_in FROM rw_catalog.rw_mv_freshness LIMIT 1', rowMode: 'array' })).rows[0]?.[0] ?? 0);
    process.stdout.write(`\rfilling: ${done.toLocaleString('en-US')} / ${keys.toLocaleString('en-US')} rows, RSS ${rssMiB(server.pid)} MiB   `);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const fillS = (performance.now() - t0) / 1000;
  // Let the last checkpoints land and the cache settle, then sample.
  let settled = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    settled = rssMiB(server.pid);
    peak = Math.max(peak, settled);
  }
  const status = (
    await c.query({ text: 'SELECT memory_limit_bytes, state_bytes, state_evictions, state_cold_reads FROM rw_catalog.rw_checkpoint_status', rowMode: 'array' })
  ).rows[0];
  const lat: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = 1 + Math.floor(Math.random() * keys);
    const t = performance.now();
    const { rows } = await c.query({ text: 'SELECT n FROM mv WHERE id = $1', values: [id], rowMode: 'array' });
    lat.push(performance.now() - t);
    if (rows.length !== 1 || String(rows[0][0]) !== '1') throw new Error(`key ${id}: got ${JSON.stringify(rows)}`);
  }
  lat.sort((a, b) => a - b);
  const mib = (b: unknown) => `${(Number(b) / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `\n${keys.toLocaleString('en-US')}-key MV under --memory-limit ${values.limit}: filled in ${fillS.toFixed(0)} s (${Math.round(keys / fillS).toLocaleString('en-US')} rows/s)\n` +
      `RSS: ${idle} MiB idle before the MV, peak ${peak} MiB while filling, ${settled} MiB settled\n` +
      `state in memory (rw_checkpoint_status.state_bytes): ${mib(status[1])} (limit ${mib(status[0])}); ${Number(status[2]).toLocaleString('en-US')} evictions, ${Number(status[3]).toLocaleString('en-US')} cold reads\n` +
      `2,000 lookups of random keys (all served, most from LevelDB): p50 ${lat[1000].toFixed(3)} ms, p99 ${lat[1980].toFixed(3)} ms`,
  );
  await c.end();
} finally {
  await server.stop('graceful');
  rmSync(dir, { recursive: true, force: true });
}
