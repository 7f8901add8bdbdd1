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
