/**
 * What the system catalogs need from the running server beyond the catalog itself: the
 * session's backend pid, its settings (pg_settings) and every session (pg_stat_activity).
 * The session layer provides it in QueryContext.session; without it (unit tests of the
 * query engine) those tables are empty and pg_backend_pid() is 0.
 */
export interface SessionActivity {
  readonly pid: number;
  readonly user: string;
  readonly database: string;
  readonly applicationName: string;
  /** Connection start, ms since the Unix epoch. */
  readonly backendStart: number;
  /** Text of the statement running or last run. */
  readonly query: string;
  readonly state: 'active' | 'idle' | 'idle in transaction';
}

export interface SystemSessionInfo {
  readonly processId: number;
  /** Session variables: [name, setting, description], as SHOW ALL lists them. */
  settings(): readonly (readonly [string, string, string])[];
  /** Every session of the server. */
  activity(): readonly SessionActivity[];
}
