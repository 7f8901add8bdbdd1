/**
 * Loads the feature table into a target. Each system gets its fastest honest path:
 * COPY for PostgreSQL, batched multi-row INSERTs over a few connections for Freshet.
 * Load time is reported for information only; the point-lookup figures are what count.
 */
import pg from 'pg';
import postgres from 'postgres';
import { copyLine, createTableSql, featureRow, preparedInsertSql, rowParams } from './dataset';
import { clientConfig, queryScalar, type RunningTarget } from './targets';

export interface LoadOptions {
  table: string;
  rows: number;
  /** Rows per INSERT statement (Freshet). */
  batchRows: number;
  /** Concurrent INSERT connections (Freshet). */
  connections: number;
  onProgress?: (rowsDone: number) => void;
}

export interface LoadResult {
  method: string;
  rows: number;
  seconds: number;
  /** Time spent after the data was in: VACUUM/CHECKPOINT/prewarm or FLUSH. */
  settleSeconds: number;
  /** What settling did, e.g. `VACUUM ANALYZE, CHECKPOINT, pg_prewarm`. */
  settle: string;
}

export async function loadTable(target: RunningTarget, opts: LoadOptions): Promise<LoadResult> {
  await exec(target, [`DROP TABLE IF EXISTS ${opts.table}`, createTableSql(opts.table)]);
  const t0 = performance.now();
  const method = target.name === 'postgres' ? await copyIntoPostgres(target, opts) : await insertBatches(target, opts);
  const t1 = performance.now();
  const settled = await settle(target, opts.table);
  const t2 = performance.now();
  const count = Number(await queryScalar(target, `SELECT count(*) FROM ${opts.table}`));
  if (count !== opts.rows) throw new Error(`${target.name}: loaded ${count} rows, expected ${opts.rows}`);
  return { method, rows: opts.rows, seconds: (t1 - t0) / 1000, settleSeconds: (t2 - t1) / 1000, settle: settled.join(', ') };
}

async function copyIntoPostgres(target: RunningTarget, opts: LoadOptions): Promise<string> {
  const sql = postgres({ host: target.host, port: target.port, user: target.user, database: target.database, max: 1, onnotice: () => {} });
  try {
    const stream = await sql.unsafe(`COPY ${opts.table} FROM STDIN`).writable();
    const done = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', reject);
    });
    const chunk = 10_000;
    for (let from = 1; from <= opts.rows; from += chunk) {
      const to = Math.min(from + chunk, opts.rows + 1);
      let text = '';
      for (let id = from; id < to; id++) text += copyLine(featureRow(id));
      // Respect backpressure so a 1M-row load does not buffer the whole table in memory.
      if (!stream.write(text)) await new Promise((r) => stream.once('drain', r));
      opts.onProgress?.(to - 1);
    }
    stream.end();
    await done;
  } finally {
    await sql.end();
  }
  return 'COPY FROM STDIN (postgres.js)';
}

/**
 * Multi-row INSERTs as a prepared statement (Parse once per connection, then Bind with
 * text parameters per batch): the server parses and plans the statement once instead of
 * re-parsing ~100 KB of literals per batch, the way a bulk loader would use the extended
 * protocol against a server without COPY.
 */
async function insertBatches(target: RunningTarget, opts: LoadOptions): Promise<string> {
  let next = 1;
  let done = 0;
  const fullSql = preparedInsertSql(opts.table, opts.batchRows);
  const worker = async () => {
    const client = new pg.Client(clientConfig(target));
    await client.connect();
    try {
      while (next <= opts.rows) {
        const from = next;
        const to = Math.min(from + opts.batchRows, opts.rows + 1);
        next = to;
        const values: string[] = [];
        for (let id = from; id < to; id++) values.push(...rowParams(featureRow(id)));
        const full = to - from === opts.batchRows;
        // The last, shorter batch gets its own unnamed statement.
        await client.query(full ? { name: 'bench_load', text: fullSql, values } : { text: preparedInsertSql(opts.table, to - from), values });
        done += to - from;
        opts.onProgress?.(done);
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  return `prepared INSERT … VALUES ×${opts.batchRows} rows over ${opts.connections} connections`;
}

/** Makes the freshly loaded table steady-state before anything is measured; returns the steps taken. */
async function settle(target: RunningTarget, table: string): Promise<string[]> {
  if (target.name === 'postgres') {
    // Set hint bits and visibility map now (else the first reads pay for it), keep
    // autovacuum and the checkpointer out of the measured window, and pull table and
    // index into shared_buffers so neither system starts cold.
    await exec(target, [`VACUUM (ANALYZE) ${table}`, 'CHECKPOINT']);
    const prewarmed = await exec(target, ['CREATE EXTENSION IF NOT EXISTS pg_prewarm', `SELECT pg_prewarm('${table}'), pg_prewarm('${table}_pkey')`]).then(
      () => true,
      () => false,
    );
    return ['VACUUM ANALYZE', 'CHECKPOINT', prewarmed ? 'pg_prewarm' : 'pg_prewarm unavailable'];
  }
  // RisingWave semantics: FLUSH makes every committed write visible to reads.
  const flushed = await exec(target, ['FLUSH']).then(
    () => true,
    () => false,
  );
  return [flushed ? 'FLUSH' : 'FLUSH unsupported'];
}

async function exec(target: RunningTarget, statements: string[]): Promise<void> {
  const client = new pg.Client(clientConfig(target));
  client.on('error', () => {});
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}
