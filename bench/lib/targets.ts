/**
 * The systems under test. Both are started through @freshet/testkit, the same starters the
 * test suite uses, but PostgreSQL gets *durable* settings here: the testkit turns fsync off
 * for speed, and a benchmark that compared against a non-durable PostgreSQL would flatter
 * nobody. Freshet runs `freshet start` (on-disk data dir) with its defaults.
 */
import { freePort, portAccepts, repoRoot, sleep, startPostgres } from '@freshet/testkit';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { spawnFreshet } from './freshet-process';
import { pinPlan, pinServerTree } from './pinning';

export type TargetName = 'freshet' | 'postgres';
export const ALL_TARGETS: readonly TargetName[] = ['freshet', 'postgres'];

export interface RunningTarget {
  name: TargetName;
  host: string;
  port: number;
  user: string;
  database: string;
  /** `SELECT version()` or the Freshet CLI version. */
  version: string;
  /** The non-default server settings the run used, for the report. */
  settings: Record<string, string>;
  /** The tail of the server's log, for error messages. */
  logTail(): string;
  /** The server's main process (PostgreSQL: the postmaster, parent of the backends), for CPU accounting. */
  serverPid(): number | null;
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** PostgreSQL shared_buffers; must hold the whole table so both systems serve from memory. */
  sharedBuffers: string;
  /** Write a V8 CPU profile of the Freshet server into this directory (written when it stops). */
  freshetProfileDir?: string;
  /** Freshet's V8 heap limit (--max-old-space-size), for runs that hold millions of rows in memory. */
  freshetHeapMb?: number;
  /** Extra `freshet start` arguments (e.g. `--memory-limit`). */
  freshetArgs?: string[];
  /** Extra environment of the Freshet server (e.g. FRESHET_SEMI_SPACE_MB for the launcher). */
  freshetEnv?: Record<string, string>;
}

/** Settings that undo the testkit's test-speed shortcuts; the rest stays at PG defaults. */
function durablePostgresSettings(sharedBuffers: string): Record<string, string> {
  return {
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    wal_level: 'replica',
    shared_buffers: `'${sharedBuffers}'`,
    // A 1M-row load must not trigger a checkpoint storm in the middle of a measured run.
    max_wal_size: "'4GB'",
  };
}

/** Targets started and not yet stopped, so an interrupted run can still clean up. */
const live = new Set<RunningTarget>();

export async function startTarget(name: TargetName, opts: TargetOptions): Promise<RunningTarget> {
  const t = name === 'postgres' ? await startBenchPostgres(opts) : await startBenchFreshet(opts);
  const pins = pinPlan();
  if (pins) {
    pinServerTree(t.serverPid());
    t.settings.cpus = `pinned to CPUs ${pins.server} (taskset)`;
  }
  const stop = t.stop;
  t.stop = () => {
    live.delete(t);
    return stop();
  };
  live.add(t);
  return t;
}

/**
 * Stops every target still running (Ctrl-C): stopping, unlike the testkit's exit hook
 * that only kills the processes, also removes their temporary data directories.
 */
export async function stopAllTargets(): Promise<void> {
  await Promise.all([...live].map((t) => t.stop().catch(() => {})));
}

async function startBenchPostgres(opts: TargetOptions): Promise<RunningTarget> {
  const settings = durablePostgresSettings(opts.sharedBuffers);
  const server = await startPostgres({ settings });
  const target: RunningTarget = {
    name: 'postgres',
    host: server.host,
    port: server.port,
    user: server.user,
    database: 'postgres',
    version: '',
    settings,
    logTail: () => server.logs().split('\n').slice(-30).join('\n'),
    serverPid: () => postmasterPid(server.dataDir),
    stop: () => server.stop(),
  };
  target.version = await queryScalar(target, 'SELECT version()');
  return target;
}

async function startBenchFreshet(opts: TargetOptions): Promise<RunningTarget> {
  // The hook writes the profile at process exit; the CLI exits cleanly on the testkit's SIGTERM.
  const hook = fileURLToPath(new URL('../tools/cpu-profile-hook.mjs', import.meta.url));
  // FRESHET_ALLOC_PROF_DIR in the bench's environment: the hook samples allocations too.
  const nodeOptions = [
    process.env.NODE_OPTIONS ?? '',
    opts.freshetProfileDir || process.env.FRESHET_ALLOC_PROF_DIR ? `--import ${hook}` : '',
    opts.freshetHeapMb ? `--max-old-space-size=${opts.freshetHeapMb}` : '',
    // V8 flags for the Freshet server only (e.g. --max-semi-space-size=64 to test a GC
    // setting): NODE_OPTIONS would also change the load generator's own process.
    process.env.BENCH_FRESHET_NODE_OPTIONS ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  const env: Record<string, string> = { ...opts.freshetEnv };
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  if (opts.freshetProfileDir) env.FRESHET_CPU_PROF_DIR = opts.freshetProfileDir;
  // `bin/freshet`, the command users run: it execs node with the start-up settings only a
  // command line can carry (the pinned young generation, and with a memory limit the malloc
  // settings), same PID. FRESHET_SEMI_SPACE_MB in the bench's environment reaches it.
  const server = await startLaunchedFreshet(env, opts.freshetArgs ?? []);
  const target: RunningTarget = {
    name: 'freshet',
    host: server.host,
    port: server.port,
    user: 'root',
    database: 'dev',
    version: '',
    settings: {
      mode: 'bin/freshet start (on-disk data dir, default durability)',
      ...(opts.freshetHeapMb ? { heap: `--max-old-space-size=${opts.freshetHeapMb}` } : {}),
      ...(opts.freshetArgs?.length ? { args: opts.freshetArgs.join(' ') } : {}),
      ...(opts.freshetEnv && Object.keys(opts.freshetEnv).length ? { env: Object.entries(opts.freshetEnv).map(([k, v]) => `${k}=${v}`).join(' ') } : {}),
    },
    logTail: () => server.logs.tail(30),
    serverPid: () => server.pid,
    stop: () => server.stop(),
  };
  target.version = await queryScalar(target, 'SELECT version()').catch(() => 'unknown');
  return target;
}

/** `bin/freshet start` on a fresh data dir and port, once it accepts connections (the testkit's starter runs `node bin/freshet.js`). */
async function startLaunchedFreshet(env: Record<string, string>, args: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'freshet-data-'));
  const port = await freePort();
  // The server exits by itself if this process dies without stopping it (bin/cli.ts).
  const p = spawnFreshet(repoRoot, dataDir, port, { args, launcher: true, env: { ...env, FRESHET_EXIT_WITH_PARENT: String(process.pid) } });
  let exited = false;
  void p.exited.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!(await portAccepts(port))) {
    if (exited || Date.now() > deadline) {
      await p.stop('kill9');
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`bin/freshet start ${exited ? 'exited' : 'did not accept connections within 60 s'}. Log tail:\n${p.logs.tail()}`);
    }
    await sleep(50);
  }
  return {
    host: '127.0.0.1',
    port,
    pid: p.pid,
    logs: p.logs,
    stop: async () => {
      await p.stop('graceful', 5_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The first line of postmaster.pid in the data directory is the postmaster's pid. */
function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function clientConfig(t: Pick<RunningTarget, 'host' | 'port' | 'user' | 'database'>): pg.ClientConfig {
  return { host: t.host, port: t.port, user: t.user, database: t.database };
}

/** Runs one statement on a fresh connection and returns the first column of the first row. */
export async function queryScalar(t: RunningTarget, sql: string): Promise<string> {
  const client = new pg.Client(clientConfig(t));
  await client.connect();
  try {
    const r = await client.query({ text: sql, rowMode: 'array' });
    return String(r.rows[0]?.[0] ?? '');
  } finally {
    await client.end();
  }
}
