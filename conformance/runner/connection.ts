/**
 * One sqllogictest connection: the simple query protocol through `pg`, every value as the
 * server's text, NULL as `NULL` and the empty string as `(empty)`.
 */
import pg from 'pg';

export type DbOutput = { kind: 'rows'; columns: number; rows: string[][] } | { kind: 'complete'; count: number };

/** A server error rendered as the reference runner's Rust client prints it. */
export class DbError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** False when the connection is unusable afterwards (socket closed, timeout). */
    readonly connectionAlive: boolean,
  ) {
    super(message);
  }
}

const rawText = { getTypeParser: () => (v: string) => v };

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = String(v);
  return s === '' ? '(empty)' : s;
}

/** `db error: ERROR: <message>` plus DETAIL/HINT lines, like tokio-postgres's Display. */
export function formatDbError(e: pg.DatabaseError): string {
  let s = `db error: ${e.severity ?? 'ERROR'}: ${e.message}`;
  if (e.detail) s += `\nDETAIL: ${e.detail}`;
  if (e.hint) s += `\nHINT: ${e.hint}`;
  return s;
}

export class SltConnection {
  private broken = false;

  private constructor(private readonly client: pg.Client) {
    client.on('error', () => {
      this.broken = true;
    });
    client.on('notice', () => {});
  }

  static async open(url: string, connectTimeoutMs = 10_000): Promise<SltConnection> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return new SltConnection(client);
  }

  get alive(): boolean {
    return !this.broken;
  }

  async run(sql: string, timeoutMs: number): Promise<DbOutput> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A hung statement would hang the whole suite; abandon the connection instead.
        this.broken = true;
        reject(new DbError(`timeout: no response within ${timeoutMs} ms`, undefined, false));
      }, timeoutMs);
    });
    try {
      const res = await Promise.race([this.client.query({ text: sql, rowMode: 'array', types: rawText }), timeout]);
      // Several statements in one record produce several results: rows from all of them count.
      const results = (Array.isArray(res) ? res : [res]) as pg.QueryArrayResult[];
      const withRows = results.filter((r) => r.fields && r.fields.length > 0);
      if (withRows.length === 0) {
        const last = results[results.length - 1];
        return { kind: 'complete', count: last?.rowCount ?? 0 };
      }
      const rows: string[][] = [];
      for (const r of withRows) for (const row of r.rows) rows.push(row.map(formatCell));
      return { kind: 'rows', columns: withRows[0].fields.length, rows };
    } catch (e) {
      if (e instanceof DbError) throw e;
      if (e instanceof pg.DatabaseError) throw new DbError(formatDbError(e), e.code, true);
      this.broken = true;
      throw new DbError(`connection error: ${(e as Error).message}`, undefined, false);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.broken) {
      // end() can wait forever on a wedged socket.
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      return;
    }
    await Promise.race([this.client.end().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  }
}
