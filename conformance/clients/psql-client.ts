/** The scenario (see scenario.ts) through the psql binary, checking its printed output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LONG_QUERY, CANCEL_AFTER_MS } from './scenario';

const SESSION_FILE = fileURLToPath(new URL('./psql-session.sql', import.meta.url));

export interface ProcResult {
  code: number | null;
  output: string;
}

/** Runs psql with `args`; optionally sends SIGINT after `interruptAfterMs` (psql then sends a CancelRequest). */
export function runPsql(env: NodeJS.ProcessEnv, args: string[], interruptAfterMs?: number, timeoutMs = 120_000): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    // Errors (stderr) and results (stdout) through ONE pipe, in the order psql wrote them: read
    // from two pipes, an ERROR line could arrive after the results printed after it.
    const psql = ['psql', '-X', '-A', '-t', '-v', 'VERBOSITY=verbose', ...args];
    const child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...psql], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    const interrupt = interruptAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, output });
    });
  });
}

/** Lines that carry results, without psql's diagnostics decoration. */
export function resultLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^(LOCATION|LINE \d+|DETAIL|HINT|NOTICE|psql:.*NOTICE)\b|^\s+\^$/.test(l) && !/NOTICE:/.test(l));
}

/** Expected psql output of psql-session.sql; command tags in PostgreSQL's or RisingWave's spelling. */
export const EXPECTED_SESSION: RegExp[] = [
  /^DROP[ _]TABLE$/,
  /^CREATE[ _]TABLE$/,
  /^INSERT 0 3$/,
  /^UPDATE 1$/,
  /^b\|2\.5$/,
  /^1\|a\|1\.5$/,
  /^2\|b\|2\.5$/,
  /^3\|c\|9$/,
  /ERROR: {2}42P01: .*no_such_table_psql/,
  /^1$/,
  /^DROP[ _]TABLE$/,
];

export async function runPsqlScenario(env: NodeJS.ProcessEnv, freshet: boolean): Promise<{ session: ProcResult; cancel: ProcResult; after: ProcResult }> {
  const session = await runPsql(env, ['-v', 'ON_ERROR_STOP=0', '-v', `freshet=${freshet}`, '-f', SESSION_FILE]);
  // In script mode psql exits after a cancelled statement, so the follow-up runs in a new
  // session; the other clients check that the *same* connection survives a cancel.
  const cancel = await runPsql(env, ['-c', LONG_QUERY], CANCEL_AFTER_MS);
  const after = await runPsql(env, ['-c', 'SELECT 42']);
  return { session, cancel, after };
}

const META_TABLE = 'client_psql_meta';

/**
 * psql's describe commands, which run psql's own pg_catalog queries: `\dt` lists the
 * table, `\d` its columns (unaligned, tuples only: no titles or footers).
 */
export async function runPsqlDescribe(env: NodeJS.ProcessEnv): Promise<ProcResult> {
  return runPsql(env, [
    '-c', `DROP TABLE IF EXISTS ${META_TABLE}`,
    '-c', `CREATE TABLE ${META_TABLE} (id int PRIMARY KEY, name varchar, score double precision NOT NULL)`,
    '-c', `\\dt ${META_TABLE}`,
    '-c', `\\d ${META_TABLE}`,
    '-c', `DROP TABLE ${META_TABLE}`,
  ]);
}

/** Expected output of runPsqlDescribe for a table owned by `user`. */
export function expectedDescribe(user: string): RegExp[] {
  return [
    /^DROP[ _]TABLE$/,
    /^CREATE[ _]TABLE$/,
    new RegExp(`^public\\|${META_TABLE}\\|table\\|${user}$`),
    /^id\|integer\|\|not null\|$/,
    /^name\|character varying\|\|\|$/,
    /^score\|double precision\|\|not null\|$/,
    /^DROP[ _]TABLE$/,
  ];
}
