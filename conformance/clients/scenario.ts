/**
 * The session every real client plays against the server, so that all clients are held to
 * the same behaviour:
 *
 *  1. DDL: drop-if-exists then create a table with a primary key.
 *  2. DML: insert three rows, update one.
 *  3. A parameterised SELECT (bound parameters where the client has them).
 *  4. An error (undefined table, SQLSTATE 42P01), then a good query on the same connection.
 *  5. A long query cancelled mid-flight: SQLSTATE 57014, then the same connection still works.
 *  6. Cleanup.
 *
 * Python and Java clients receive the connection through PG* environment variables and
 * FRESHET_TARGET (freshet|postgres); they print `ok <step>` lines and exit non-zero on failure.
 */

/** Long enough to still be running when the cancel arrives, on any server. */
export const LONG_QUERY = 'SELECT count(*) FROM generate_series(1, 100000000)';

/** How long clients wait after starting the long query before cancelling it. */
export const CANCEL_AFTER_MS = 500;

export const STEPS = ['ddl', 'dml', 'param', 'error', 'cancel', 'cleanup'] as const;

export function tableFor(client: string): string {
  return `client_${client}`;
}

/** Scenario assertions shared by the Node clients: they throw, naming the step that deviated. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export async function expectSqlState(p: PromiseLike<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expectEqual((e as { code?: string }).code, code, `${what} SQLSTATE`);
    return;
  }
  throw new Error(`${what}: expected an error with SQLSTATE ${code}, got success`);
}
