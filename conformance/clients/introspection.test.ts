/**
 * The tools people use to look around a database, run for real against a Freshet server
 * holding the objects of introspection-fixture.sql (table, keyless table, index, view, MV,
 * source, sink):
 *
 * - psql's meta-commands (\l \dn \dt \dv \dm \di \ds \du \df \d \dE, \d name, \d+ name),
 *   output compared exactly with psql-meta.expected;
 * - psql's tab completion of table and column names, typed into a real terminal (tmux);
 * - JDBC DatabaseMetaData (JdbcMetadata.java) and psycopg 3's TypeInfo.fetch;
 * - the catalog queries DBeaver, Grafana and Metabase send (gui-queries.ts);
 * - the freshness view and the streaming-job tables after DML.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FreshetServer, hasCommand, sleep, startFreshet } from '@freshet/testkit';
import { GUI_QUERIES } from './gui-queries';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const SYSTEM_PYTHON = '/usr/bin/python3';
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const TIMEOUT = 60_000;

const havePsql = hasCommand('psql');
const haveTmux = havePsql && hasCommand('tmux');
const haveJava = hasCommand('javac') && hasCommand('java') && existsSync(JDBC_JAR);
const havePsycopg3 = existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import psycopg']).status === 0;
for (const [what, ok] of [['psql', havePsql], ['tmux', haveTmux], ['java + JDBC', haveJava], ['psycopg 3', havePsycopg3]] as const) {
  if (!ok) process.stderr.write(`\n*** introspection.test: ${what} is not installed; its tests are skipped (run scripts/provision.sh as root) ***\n`);
}

/** psql-meta.expected: `### <command>` sections (text before the first is a preamble). */
function expectedMetaCommands(): { command: string; output: string }[] {
  const text = readFileSync(here('./psql-meta.expected'), 'utf8');
  return text
    .split(/^### /m)
    .slice(1)
    .map((section) => {
      const nl = section.indexOf('\n');
      return { command: section.slice(0, nl), output: section.slice(nl + 1) };
    });
}

/** Runs psql with `args` (no psqlrc, aligned output); resolves with stdout + stderr. */
function psql(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Reads a tmux pane until `want` matches (psql answers completions after a catalog query).
 * capture-pane trims trailing blanks, so the space a completion appends shows up only in
 * what is typed next.
 */
async function waitForPane(socket: string, want: RegExp, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let pane = '';
  while (Date.now() < until) {
    pane = spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'psql'], { encoding: 'utf8' }).stdout;
    if (want.test(pane)) return pane;
    await sleep(100);
  }
  throw new Error(`terminal never showed ${want}; it shows:\n${pane}`);
}

describe('introspection through real tools', () => {
  let server: FreshetServer;
  let env: NodeJS.ProcessEnv;
  let client: pg.Client;

  beforeAll(async () => {
    server = await startFreshet({ playground: true });
    env = { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'root', PGDATABASE: 'dev', PGPASSWORD: '' };
    client = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
    await client.connect();
    for (const stmt of readFileSync(here('./introspection-fixture.sql'), 'utf8').replace(/^--.*$/gm, '').split(';')) {
      if (stmt.trim()) await client.query(stmt);
    }
  }, TIMEOUT);

  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  describe.runIf(havePsql)('psql meta-commands', () => {
    it.each(expectedMetaCommands())('$command', { timeout: TIMEOUT }, async ({ command, output }) => {
      const r = await psql(env, ['-c', command]);
      expect(r.code).toBe(0);
      expect(r.output).toBe(output);
    });
  });

  it.runIf(haveTmux)('psql completes table and column names (tmux)', { timeout: TIMEOUT }, async () => {
    const socket = `freshet-introspection-${process.pid}`;
    const cmd = `psql -X -h ${server.host} -p ${server.port} -U root dev`;
    spawnSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'psql', '-x', '200', '-y', '50', cmd], { env });
    try {
      await waitForPane(socket, /dev=#/);
      const type = (...keys: string[]) => spawnSync('tmux', ['-L', socket, 'send-keys', '-t', 'psql', ...keys]);
      type('SELECT * FROM customer_t', 'Tab');
      await waitForPane(socket, /FROM customer_totals$/m);
      type('WHERE to', 'Tab');
      await waitForPane(socket, /FROM customer_totals WHERE total$/m);
      type('C-u', '\\d big_o', 'Tab');
      await waitForPane(socket, /\\d big_orders$/m);
      type('C-u', 'SELECT * FROM public.big', 'Tab');
      await waitForPane(socket, /FROM public\.big_orders$/m);
      type('C-u', '\\d orders_by', 'Tab');
      await waitForPane(socket, /\\d orders_by_customer$/m);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  });

  it.runIf(haveJava)('JDBC DatabaseMetaData', { timeout: TIMEOUT }, () => {
    const out = mkdtempSync(join(tmpdir(), 'freshet-jdbc-meta-'));
    try {
      const javac = spawnSync('javac', ['-d', out, '-cp', JDBC_JAR, here('./JdbcMetadata.java')], { encoding: 'utf8' });
      expect(javac.status, javac.stderr).toBe(0);
      const r = spawnSync('java', ['-cp', `${out}:${JDBC_JAR}`, 'JdbcMetadata'], { env, encoding: 'utf8', timeout: TIMEOUT });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual([
        'getCatalogs: dev',
        'getSchemas: information_schema',
        'getSchemas: pg_catalog',
        'getSchemas: public',
        'getSchemas: rw_catalog',
        'getTables: public|clicks|FOREIGN TABLE',
        'getTables: public|totals_out|FOREIGN TABLE',
        'getTables: public|orders_by_customer|INDEX',
        'getTables: public|orders_pkey|INDEX',
        'getTables: public|customer_totals|MATERIALIZED VIEW',
        'getTables: public|events|TABLE',
        'getTables: public|orders|TABLE',
        'getTables: public|big_orders|VIEW',
        'getColumns: order_id|int4|4|NO|null|1',
        'getColumns: customer|varchar|12|NO|null|2',
        'getColumns: amount|float8|8|YES|0|3',
        'getColumns: customer|varchar|1',
        'getColumns: n|int8|2',
        'getColumns: total|float8|3',
        'getPrimaryKeys: orders|order_id|1|orders_pkey',
        'getIndexInfo: orders_pkey|f|1|order_id',
        'getIndexInfo: orders_by_customer|t|1|customer',
        'getIndexInfo: orders_by_customer|t|2|order_id',
        'getIndexInfo: orders_by_customer|t|3|amount',
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.runIf(havePsycopg3)('psycopg 3 TypeInfo.fetch', { timeout: TIMEOUT }, () => {
    const r = spawnSync(SYSTEM_PYTHON, [here('./psycopg_types.py')], { env, encoding: 'utf8', timeout: TIMEOUT });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      'int4: int4 23 1007',
      'integer: int4 23 1007',
      'int8: int8 20 1016',
      'varchar: varchar 1043 1015',
      'character varying: varchar 1043 1015',
      'text: text 25 1009',
      'numeric: numeric 1700 1231',
      'float8: float8 701 1022',
      'bool: bool 16 1000',
      'timestamptz: timestamptz 1184 1185',
      'interval: interval 1186 1187',
      'jsonb: jsonb 3802 3807',
      'bytea: bytea 17 1001',
      'integer[]: _int4 1007 0',
      'no_such_type: None',
    ]);
  });

  describe('GUI tools browsing the schema', () => {
    it.each(GUI_QUERIES.map((q) => ({ ...q, name: `${q.tool}: ${q.what}` })))('$name', async (q) => {
      const params = q.schemaParam ? [(await client.query(`SELECT oid FROM pg_namespace WHERE nspname = 'public'`)).rows[0].oid] : [];
      const r = await client.query(q.sql, params);
      expect(q.check(r.rows)).toBeNull();
    });
  });

  // RisingWave's column names for every SHOW variant and DESCRIBE (slt does not see names).
  it.each([
    ['SHOW TABLES', ['Name']],
    ['SHOW MATERIALIZED VIEWS', ['Name']],
    ['SHOW VIEWS', ['Name']],
    ['SHOW SOURCES', ['Name']],
    ['SHOW SINKS', ['Name']],
    ['SHOW DATABASES', ['Name']],
    ['SHOW SCHEMAS', ['Name']],
    ['SHOW INDEXES FROM orders', ['Name', 'On', 'Key', 'Include', 'Distributed By']],
    ['SHOW COLUMNS FROM orders', ['Name', 'Type', 'Is Hidden', 'Description']],
    ['SHOW CREATE TABLE orders', ['Name', 'Create Sql']],
    ['SHOW CREATE MATERIALIZED VIEW customer_totals', ['Name', 'Create Sql']],
    ['SHOW CREATE VIEW big_orders', ['Name', 'Create Sql']],
    ['SHOW CREATE SOURCE clicks', ['Name', 'Create Sql']],
    ['SHOW CREATE SINK totals_out', ['Name', 'Create Sql']],
    ['SHOW CREATE INDEX orders_by_customer', ['Name', 'Create Sql']],
    ['SHOW JOBS', ['Id', 'Statement', 'Progress']],
    ['SHOW PROCESSLIST', ['Id', 'User', 'Host', 'Database', 'Time', 'Info']],
    ['SHOW PARAMETERS', ['Name', 'Value', 'Mutable']],
    ['SHOW ALL', ['Name', 'Setting', 'Description']],
    ['SHOW FUNCTIONS', ['Name', 'Arguments', 'Return Type', 'Language', 'Link']],
    ['DESCRIBE orders', ['Name', 'Type', 'Is Hidden', 'Description']],
    ['EXPLAIN SELECT * FROM orders', ['QUERY PLAN']],
    ['EXPLAIN CREATE MATERIALIZED VIEW m AS SELECT * FROM orders', ['QUERY PLAN']],
    ["EXPLAIN CREATE SINK s FROM orders WITH (connector = 'blackhole')", ['QUERY PLAN']],
  ])('%s has RisingWave column names', async (sql, names) => {
    const r = await client.query(sql as string);
    expect(r.fields.map((f) => f.name)).toEqual(names);
    if (!(sql as string).startsWith('SHOW JOBS') && !(sql as string).startsWith('SHOW FUNCTIONS')) expect(r.rows.length).toBeGreaterThan(0);
  });

  it('freshness view and streaming jobs follow DML', { timeout: TIMEOUT }, async () => {
    const fresh = async () =>
      (await client.query(`SELECT * FROM rw_catalog.rw_mv_freshness WHERE name = 'customer_totals'`)).rows[0] as Record<string, string | Date | null>;
    const sinkFresh = async () =>
      (await client.query(`SELECT * FROM rw_catalog.rw_sink_freshness WHERE name = 'totals_out'`)).rows[0] as Record<string, string | Date | null>;
    const before = await fresh();
    const sinkBefore = await sinkFresh();
    // The 3 orders arrived as changes (the MV was created first); it wrote one row per customer.
    expect(before).toMatchObject({ schema_name: 'public', status: 'CREATED', rows_in: '3', rows_out: '2', row_count: '2', lag_ms: '0' });
    const start = Date.now();
    await client.query(`INSERT INTO orders VALUES (4, 'cy', 10), (5, 'ann', 1)`);
    await client.query('FLUSH');
    const after = await fresh();
    // Two changes in; out: an insert for cy and an update (delete + insert) for ann.
    expect(after).toMatchObject({ rows_in: '5', rows_out: '5', row_count: '3', lag_ms: '0' });
    expect(BigInt(after.committed_epoch as string)).toBeGreaterThan(BigInt(before.committed_epoch as string));
    for (const col of ['committed_at', 'source_changed_at', 'output_changed_at'] as const) {
      expect((after[col] as Date).getTime(), col).toBeGreaterThanOrEqual(start - 5);
    }
    expect((after.committed_at as Date).getTime()).toBeGreaterThanOrEqual((after.source_changed_at as Date).getTime());
    // The blackhole sink over the MV got the MV's 3 new changes.
    const sinkAfter = await sinkFresh();
    expect(sinkAfter).toMatchObject({ schema_name: 'public', status: 'CREATED', lag_ms: '0' });
    expect(BigInt(sinkAfter.rows_out as string) - BigInt(sinkBefore.rows_out as string)).toBe(3n);
    expect(sinkAfter.rows_in).toBe(sinkAfter.rows_out);
    expect(BigInt(sinkAfter.committed_epoch as string)).toBeGreaterThan(BigInt(sinkBefore.committed_epoch as string));

    const jobs = await client.query(`SELECT name, status, parallelism FROM rw_streaming_jobs ORDER BY name`);
    expect(jobs.rows).toEqual([
      { name: 'customer_totals', status: 'CREATED', parallelism: 'FIXED(1)' },
      { name: 'totals_out', status: 'CREATED', parallelism: 'FIXED(1)' },
    ]);
    const show = await client.query('SHOW JOBS');
    expect(show.fields.map((f) => f.name)).toEqual(['Id', 'Statement', 'Progress']);
    expect(show.rows).toEqual([]);
  });
});
