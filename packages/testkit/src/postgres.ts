/**
 * A throwaway PostgreSQL server for tests: fresh cluster in a temp dir, loopback only,
 * trust auth, `wal_level=logical` so CDC tests can create replication slots.
 *
 * PostgreSQL refuses to run as root, so as root every command goes through
 * `runuser -u postgres --`; as any other user it runs directly as that user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export interface PostgresServer {
  port: number;
  host: string;
  /** Superuser connection URL to the `postgres` database. */
  url: string;
  user: string;
  dataDir: string;
  /** The server log so far (read from its log file). */
  logs(): string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  port?: number;
  /** Extra `postgresql.conf` settings. */
  settings?: Record<string, string | number>;
}

const asRoot = () => process.getuid?.() === 0;

/** Directory holding initdb/pg_ctl: the newest /usr/lib/postgresql/N/bin, else $PATH. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const p = which.stdout.trim();
  return p ? p.replace(/\/initdb$/, '') : undefined;
}

function runAs(user: string | undefined, cmd: string, args: string[]): { status: number | null; output: string } {
  const [file, argv] = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { status: null, output: String(r.error) };
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found: install the Debian package `postgresql` (scripts/provision.sh)');
  const osUser = asRoot() ? 'postgres' : undefined;
  const dbUser = osUser ?? userInfo().username;

  const root = mkdtempSync(join(tmpdir(), 'freshet-pg-'));
  if (osUser) {
    const id = spawnSync('id', ['-u', osUser], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', osUser], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error(`OS user ${osUser} not found: install the Debian package \`postgresql\``);
    chownSync(root, Number(id.stdout), Number(gid.stdout));
  }
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const cleanup = () => rmSync(root, { recursive: true, force: true });

  const init = runAs(osUser, join(bin, 'initdb'), ['-D', dataDir, '-U', dbUser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) {
    cleanup();
    throw new Error(`initdb failed:\n${init.output}`);
  }

  const settings: Record<string, string | number> = {
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${root}'`,
    wal_level: 'logical',
    max_wal_senders: 10,
    max_replication_slots: 10,
    // Throwaway data: durability costs test time for nothing.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    ...opts.settings,
  };

  // A port picked by freePort() can be taken by someone else before postgres binds it: retry.
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const conf = Object.entries({ ...settings, port })
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n');
    writeFileSync(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`);
    if (osUser) runAs(undefined, 'chown', [`${osUser}:`, join(dataDir, 'postgresql.auto.conf')]);
    const started = runAs(osUser, join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
    if (started.status === 0) return handle(port);
    if (attempt >= 3 || opts.port !== undefined) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      cleanup();
      throw new Error(`pg_ctl start failed:\n${started.output}\n${log}`);
    }
    appendFileSync(logFile, `\n-- retrying start after failure on port ${port}\n`);
  }

  function handle(port: number): PostgresServer {
    let stopped = false;
    const stopSync = () => {
      if (stopped) return;
      stopped = true;
      runAs(osUser, join(bin!, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      cleanup();
    };
    // If the test process exits without calling stop(), don't leave a postgres running.
    process.once('exit', stopSync);
    return {
      port,
      host: '127.0.0.1',
      user: dbUser,
      url: `postgres://${dbUser}@127.0.0.1:${port}/postgres`,
      dataDir,
      logs: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', stopSync);
        await new Promise<void>((resolve) => {
          const [file, argv] = osUser
            ? ['runuser', ['-u', osUser, '--', join(bin!, 'pg_ctl'), '-D', dataDir, '-m', 'fast', '-w', 'stop']]
            : [join(bin!, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']];
          const p = spawn(file, argv, { stdio: 'ignore' });
          p.on('exit', () => resolve());
          p.on('error', () => resolve());
        });
        cleanup();
      },
    };
  }
}
