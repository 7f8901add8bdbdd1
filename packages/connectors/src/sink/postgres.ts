/**
 * The PostgreSQL sink: RisingWave's native `connector = 'postgres'` (`host`, `port` 5432,
 * `user`, `password`, `database`, `schema` public, `table`) and its JDBC form
 * `connector = 'jdbc'` (`jdbc.url = 'jdbc:postgresql://host:port/db?user=…&password=…'`,
 * `user`, `password`, `table.name`, `schema.name`). `type = 'upsert'` (default when the
 * query retracts) or `'append-only'`; `primary_key` names the key, else the target table's
 * own primary key (read from the catalog), else the upstream's key.
 *
 * Each epoch is one transaction: upsert mode first deletes the keys whose last change in
 * the epoch was a delete (`DELETE … WHERE (pk) IN (…)`), then writes the others with
 * `INSERT … ON CONFLICT (pk) DO UPDATE`, so a retried or replayed epoch converges. Append-only
 * mode INSERTs. A row the table refuses (SQLSTATE class 22 or 23: a constraint, a value out
 * of range) cannot be fixed by retrying: the epoch is then applied row by row under
 * savepoints and refused rows are skipped, logged and counted (`stats.rowsRejected`);
 * any other failure (connection, missing table) is retried. Values travel as text
 * parameters in PostgreSQL's input syntax (Freshet's output format is PostgreSQL's), cast by
 * the server to the target columns' types.
 * CREATE SINK checks that the table exists and has every sink column.
 */
import type pg from 'pg';
import { Op, type Row, SqlError, SqlState, type StreamChunk, formatDatum } from '@freshet/common';
import { encodeJsonObject } from '../format/json-encode';
import { pg as loadPg } from '../libraries';
import { OptionReader, invalidOption, missingOption } from '../options';
import type { ExternalSinkSpec, PreparedSink, SinkColumn, SinkCommitInfo, SinkConnector, SinkContext } from './api';
import { sinkPrimaryKey } from './encode';
import { RetryingSinkTarget, type RetryPolicy } from './target-base';

/** Bind parameters per statement (PostgreSQL allows 65535). */
const MAX_PARAMS = 30_000;

export interface PostgresSinkConfig {
  readonly connection: pg.ClientConfig;
  readonly schema: string;
  readonly table: string;
  readonly upsert: boolean;
  /** Key columns by name, from `primary_key` (else resolved from the table). */
  readonly primaryKey: readonly string[] | null;
  /** Visible sink columns: [index in the chunk, name]. */
  readonly columns: readonly (readonly [number, string])[];
}

export function postgresSinkConfig(spec: ExternalSinkSpec, jdbc: boolean): PostgresSinkConfig {
  const connector = jdbc ? 'jdbc' : 'postgres';
  const r = new OptionReader(spec.options, connector);
  let connection: pg.ClientConfig;
  let table: string;
  let schema: string;
  if (jdbc) {
    const url = r.required('jdbc.url');
    const m = /^jdbc:postgresql:\/\/([^/?#]+)\/([^?#]*)(?:\?(.*))?$/i.exec(url.trim());
    if (!m) throw invalidOption('jdbc.url', url, 'jdbc:postgresql://host:port/database (only PostgreSQL JDBC URLs are supported)');
    const [host, port] = m[1].split(':');
    const params = new URLSearchParams(m[3] ?? '');
    connection = {
      host,
      port: port ? Number(port) : 5432,
      database: decodeURIComponent(m[2]),
      user: r.string('user') ?? params.get('user') ?? undefined,
      password: r.string('password') ?? params.get('password') ?? undefined,
    };
    table = r.required('table.name');
    schema = r.string('schema.name') ?? 'public';
  } else {
    const port = r.nonNegativeInt('port') ?? 5432;
    connection = { host: r.required('host'), port, user: r.required('user'), password: r.string('password'), database: r.required('database') };
    table = r.required('table');
    schema = r.string('schema') ?? 'public';
  }
  const sslMode = r.string('ssl_mode') ?? r.string('ssl.mode');
  if (sslMode !== undefined && !['disable', 'disabled', 'prefer', 'preferred'].includes(sslMode.toLowerCase())) {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: ssl_mode '${sslMode}' for the ${connector} sink`);
  }
  connection = { ...connection, connectionTimeoutMillis: 5_000, application_name: 'freshet-sink' };

  const type = spec.options.type?.toLowerCase();
  const upsert = type === 'upsert' || (type === undefined && !spec.inputAppendOnly && !spec.appendOnly);
  if (upsert && spec.appendOnly) throw invalidOption('type', 'upsert', "'append-only' together with force_append_only");
  const named = spec.options.primary_key !== undefined ? sinkPrimaryKey(spec, false).map((i) => spec.columns[i].name) : null;
  const columns = spec.columns.flatMap((c, i) => (c.hidden ? [] : [[i, c.name] as const]));
  return { connection, schema, table, upsert, primaryKey: named, columns };
}

/** The table's columns and primary key, read from the target's catalog. */
async function describeTable(client: pg.Client, schema: string, table: string): Promise<{ columns: string[]; pk: string[] }> {
  const cols = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
  const pk = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary ORDER BY k.ord`,
    [schema, table],
  );
  return { columns: cols.rows.map((r) => r.name), pk: pk.rows.map((r) => r.name) };
}

const ident = (s: string) => '"' + s.replace(/"/g, '""') + '"';

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** The statements of one target table, built once its key is known. */
interface Statements {
  readonly table: string;
  readonly key: readonly number[];
}

interface PgBatch {
  /** Upsert: key → the key's last change (a delete keeps its old row for the key). Append-only: rows in order. */
  readonly upserts: Map<string, { row: Row; insert: boolean }> | null;
  readonly inserts: Row[];
}

export class PostgresSinkTarget extends RetryingSinkTarget<PgBatch> {
  private client: pg.Client | null = null;
  private statements: Statements | null = null;
  private pending: PgBatch;
  private keyIndices: number[];

  constructor(
    private readonly config: PostgresSinkConfig,
    name: string,
    private readonly columns: readonly SinkColumn[],
    /** Fallback key (upstream's) when neither primary_key nor the table has one. */
    private readonly upstreamKey: readonly number[],
    ctx: SinkContext,
    retry?: RetryPolicy,
  ) {
    super(`postgres sink ${name}`, ctx, retry);
    this.pending = this.emptyBatch();
    this.keyIndices = this.keyFromNames(config.primaryKey) ?? [...upstreamKey];
  }

  write(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const upserts = this.pending.upserts;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = chunk.ops[i];
      const insert = op === Op.Insert || op === Op.UpdateInsert;
      if (upserts === null) {
        if (insert) this.pending.inserts.push(chunk.row(i));
        else continue;
      } else {
        const row = chunk.row(i);
        upserts.set(encodeJsonObject(this.columns, row, this.keyIndices), { row, insert });
      }
      this.stats.rowsWritten++;
    }
  }

  protected takeBatch(_epoch: number, _info: SinkCommitInfo): PgBatch | null {
    const p = this.pending;
    if ((p.upserts?.size ?? 0) === 0 && p.inserts.length === 0) return null;
    this.pending = this.emptyBatch();
    return p;
  }

  protected async deliver(batch: PgBatch): Promise<void> {
    const client = await this.connect();
    const st = this.statements!;
    const { deletes, rows } = this.split(batch);
    await client.query('BEGIN');
    try {
      await this.deleteKeys(client, st, deletes);
      await this.insertRows(client, st, rows, batch.upserts !== null);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      // Retrying cannot fix a row the table refuses (a constraint, a value out of range):
      // apply the epoch row by row instead, skipping (and reporting) the refused rows.
      if (!isDataError(e)) throw e;
      await this.deliverRowByRow(client, st, deletes, rows, batch.upserts !== null);
    }
  }

  private split(batch: PgBatch): { deletes: Row[]; rows: Row[] } {
    if (!batch.upserts) return { deletes: [], rows: batch.inserts };
    const deletes: Row[] = [];
    const rows: Row[] = [];
    for (const c of batch.upserts.values()) (c.insert ? rows : deletes).push(c.row);
    return { deletes, rows };
  }

  private async deliverRowByRow(client: pg.Client, st: Statements, deletes: Row[], rows: Row[], upsert: boolean): Promise<void> {
    await client.query('BEGIN');
    try {
      const steps: [Row, boolean][] = [...deletes.map((r) => [r, true] as [Row, boolean]), ...rows.map((r) => [r, false] as [Row, boolean])];
      for (const [row, del] of steps) {
        await client.query('SAVEPOINT sink_row');
        try {
          if (del) await this.deleteKeys(client, st, [row]);
          else await this.insertRows(client, st, [row], upsert);
          await client.query('RELEASE SAVEPOINT sink_row');
        } catch (e) {
          if (!isDataError(e)) throw e;
          await client.query('ROLLBACK TO SAVEPOINT sink_row');
          this.stats.rowsRejected++;
          this.stats.lastError = (e as Error).message;
          if (this.stats.rowsRejected <= 100 || this.stats.rowsRejected % 1000 === 0) {
            this.ctx.log(`${this.label}: row rejected by ${st.table} (${this.stats.rowsRejected} so far): ${(e as Error).message}`);
          }
        }
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  protected override onFailure(): void {
    const c = this.client;
    this.client = null;
    c?.end().catch(() => {});
  }

  protected release(): void {
    this.onFailure();
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new (loadPg().Client)(this.config.connection);
    client.on('error', () => {}); // a dropped connection fails the next query; the commit retries
    await client.connect();
    try {
      await client.query("SET TIME ZONE 'UTC'");
      if (this.statements === null) this.statements = await this.prepareStatements(client);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    this.client = client;
    return client;
  }

  private async prepareStatements(client: pg.Client): Promise<Statements> {
    const { schema, table } = this.config;
    const desc = await describeTable(client, schema, table);
    if (desc.columns.length === 0) throw new Error(`table ${schema}.${table} does not exist`);
    const missing = this.config.columns.filter(([, n]) => !desc.columns.includes(n)).map(([, n]) => n);
    if (missing.length > 0) throw new Error(`table ${schema}.${table} has no column ${missing.join(', ')}`);
    let key = this.keyIndices;
    if (this.config.upsert && this.config.primaryKey === null && desc.pk.length > 0) {
      const fromTable = this.keyFromNames(desc.pk);
      if (fromTable) key = fromTable;
    }
    if (this.config.upsert && key.length === 0) throw new Error(`upsert sink into ${schema}.${table} needs primary_key (the table has none)`);
    // Later epochs are compacted by the key the statements use.
    this.keyIndices = key;
    return { table: `${ident(schema)}.${ident(table)}`, key };
  }

  private keyFromNames(names: readonly string[] | null): number[] | null {
    if (names === null) return null;
    const out: number[] = [];
    for (const n of names) {
      const i = this.columns.findIndex((c) => !c.hidden && c.name === n);
      if (i < 0) return null;
      out.push(i);
    }
    return out;
  }

  private async deleteKeys(client: pg.Client, st: Statements, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const keyCols = st.key.map((i) => ident(this.columns[i].name)).join(', ');
    const per = Math.max(1, Math.floor(MAX_PARAMS / st.key.length));
    for (let start = 0; start < rows.length; start += per) {
      const part = rows.slice(start, start + per);
      const params: (string | null)[] = [];
      const tuples = part.map((r) => '(' + st.key.map((i) => this.param(params, i, r[i])).join(', ') + ')');
      await client.query(`DELETE FROM ${st.table} WHERE (${keyCols}) IN (${tuples.join(', ')})`, params);
    }
  }

  private async insertRows(client: pg.Client, st: Statements, rows: Row[], upsert: boolean): Promise<void> {
    if (rows.length === 0) return;
    const cols = this.config.columns;
    const names = cols.map(([, n]) => ident(n)).join(', ');
    let conflict = '';
    if (upsert) {
      const keySet = new Set(st.key);
      const sets = cols.filter(([i]) => !keySet.has(i)).map(([, n]) => `${ident(n)} = EXCLUDED.${ident(n)}`);
      const target = st.key.map((i) => ident(this.columns[i].name)).join(', ');
      conflict = ` ON CONFLICT (${target}) DO ${sets.length > 0 ? 'UPDATE SET ' + sets.join(', ') : 'NOTHING'}`;
    }
    const per = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
    for (let start = 0; start < rows.length; start += per) {
      const part = rows.slice(start, start + per);
      const params: (string | null)[] = [];
      const tuples = part.map((r) => '(' + cols.map(([i]) => this.param(params, i, r[i])).join(', ') + ')');
      await client.query(`INSERT INTO ${st.table} (${names}) VALUES ${tuples.join(', ')}${conflict}`, params);
    }
  }

  private param(params: (string | null)[], col: number, d: Row[number]): string {
    params.push(d === null ? null : formatDatum(this.columns[col].type, d, 'UTC'));
    return '$' + params.length;
  }

  private emptyBatch(): PgBatch {
    return { upserts: this.config.upsert ? new Map() : null, inserts: [] };
  }
}

function connectorFor(jdbc: boolean): SinkConnector {
  return {
    name: jdbc ? 'jdbc' : 'postgres',
    prepare(spec: ExternalSinkSpec): PreparedSink {
      const config = postgresSinkConfig(spec, jdbc);
      return {
        resendOnRestart: config.upsert,
        async check() {
          const client = new (loadPg().Client)(config.connection);
          client.on('error', () => {});
          try {
            await client.connect();
            const desc = await describeTable(client, config.schema, config.table);
            if (desc.columns.length === 0) throw new Error(`table ${config.schema}.${config.table} does not exist`);
            const missing = config.columns.filter(([, n]) => !desc.columns.includes(n)).map(([, n]) => n);
            if (missing.length > 0) throw new Error(`table ${config.schema}.${config.table} has no column ${missing.join(', ')}`);
            if (config.upsert && config.primaryKey === null && desc.pk.length === 0 && spec.streamKey.length === 0) {
              throw missingOption(jdbc ? 'jdbc' : 'postgres', 'primary_key');
            }
          } catch (e) {
            if (e instanceof SqlError) throw e;
            throw new SqlError(SqlState.InternalError, `Sink error: PostgreSQL error: ${e instanceof Error ? e.message : String(e)}`);
          } finally {
            await client.end().catch(() => {});
          }
        },
        open: (ctx) => new PostgresSinkTarget(config, spec.name, spec.columns, spec.streamKey, ctx),
      };
    },
  };
}

export const postgresSinkConnector = connectorFor(false);
export const jdbcSinkConnector = connectorFor(true);
