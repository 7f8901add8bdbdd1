/**
 * Upstream PostgreSQL setup and the initial snapshot, over plain `pg` connections:
 *
 * - the publication is created (or extended with the table) when missing;
 * - a new slot is created on a replication connection with `EXPORT_SNAPSHOT`, and the
 *   snapshot is read in a REPEATABLE READ transaction that imports that exported snapshot:
 *   the rows are exactly the state at the slot's consistent point, and streaming from that
 *   point continues with the first transaction the snapshot does not contain.
 */
import type pg from 'pg';
import { pg as loadPg } from '../libraries';
import { type PgCdcConfig, pgClientConfig } from './config';
import { parseLsn } from './lsn';

/** Every value as its text (the reader parses text into datums with the column's type). */
const TEXT_TYPES = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedTable(c: PgCdcConfig): string {
  return `${quoteIdent(c.schema)}.${quoteIdent(c.table!)}`;
}

export async function withClient<T>(c: PgCdcConfig, f: (client: pg.Client) => Promise<T>, replication = false): Promise<T> {
  const client = new (loadPg().Client)({ ...pgClientConfig(c), types: TEXT_TYPES, ...(replication ? { replication: 'database' } : {}) } as pg.ClientConfig);
  client.on('error', () => {});
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the publication (FOR TABLE t) or adds the table to it, unless it already covers it. */
export async function ensurePublication(c: PgCdcConfig): Promise<void> {
  await withClient(c, async (client) => {
    const pub = await client.query('SELECT puballtables FROM pg_publication WHERE pubname = $1', [c.publication]);
    if (pub.rows.length === 0) {
      if (!c.createPublication) throw new Error(`publication ${c.publication} does not exist and publication.create.enable is false`);
      await client.query(`CREATE PUBLICATION ${quoteIdent(c.publication)} FOR TABLE ${qualifiedTable(c)}`);
      return;
    }
    if (pub.rows[0].puballtables === 't') return;
    const has = await client.query('SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3', [c.publication, c.schema, c.table]);
    if (has.rows.length === 0) {
      if (!c.createPublication) throw new Error(`publication ${c.publication} does not include ${c.schema}.${c.table}`);
      await client.query(`ALTER PUBLICATION ${quoteIdent(c.publication)} ADD TABLE ${qualifiedTable(c)}`);
    }
  });
}

/** The slot's confirmed_flush_lsn, or undefined when the slot does not exist. */
export async function slotPosition(c: PgCdcConfig): Promise<bigint | undefined> {
  return withClient(c, async (client) => {
    const r = await client.query('SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1 AND database = $2', [c.slot, c.database]);
    if (r.rows.length === 0) return undefined;
    return r.rows[0].confirmed_flush_lsn ? parseLsn(r.rows[0].confirmed_flush_lsn) : 0n;
  });
}

/** Upstream rows as text arrays, in `columns` order. */
export type TextRow = (string | null)[];

/** The snapshot query: the columns by name, each as its text. */
function snapshotQuery(c: PgCdcConfig, columns: readonly string[]): pg.QueryConfig {
  return { text: `SELECT ${columns.map((n) => `${quoteIdent(n)}::text`).join(', ')} FROM ${qualifiedTable(c)}`, rowMode: 'array' } as pg.QueryConfig;
}

/**
 * Creates the slot and reads the table at the slot's consistent point. Returns the rows
 * and the LSN streaming starts from.
 */
export async function createSlotWithSnapshot(c: PgCdcConfig, columns: readonly string[]): Promise<{ lsn: bigint; rows: TextRow[] }> {
  return withClient(
    c,
    async (repl) => {
      const created = await repl.query(`CREATE_REPLICATION_SLOT ${quoteIdent(c.slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`);
      const { consistent_point, snapshot_name } = created.rows[0] as { consistent_point: string; snapshot_name: string };
      // The exported snapshot lives while `repl` stays open and idle: read it now.
      const rows = await withClient(c, async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query(`SET TRANSACTION SNAPSHOT '${snapshot_name.replace(/'/g, "''")}'`);
        const r = await client.query(snapshotQuery(c, columns));
        await client.query('COMMIT');
        return r.rows as TextRow[];
      });
      return { lsn: parseLsn(consistent_point), rows };
    },
    true,
  );
}

/**
 * The table now (an existing slot's reader without a stored position): applied as upserts
 * and followed by the slot's changes from its confirmed position, which converges because
 * every change is applied by primary key (RisingWave's snapshot + binlog dedup by key).
 */
export async function readSnapshot(c: PgCdcConfig, columns: readonly string[]): Promise<TextRow[]> {
  return withClient(c, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const r = await client.query(snapshotQuery(c, columns));
    await client.query('COMMIT');
    return r.rows as TextRow[];
  });
}

/** Drops the slot (DROP TABLE of a CDC table). */
export async function dropSlot(c: PgCdcConfig): Promise<void> {
  await withClient(c, (client) => client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [c.slot]));
}
