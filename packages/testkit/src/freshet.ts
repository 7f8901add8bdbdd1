/**
 * Starts the real `freshet` CLI as a child process, exactly as a user would, and waits
 * until it completes a PostgreSQL protocol handshake.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, sleep } from './ports';
import { ProcessLog } from './process-log';

/** The repository root (this file is packages/testkit/src/freshet.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface FreshetOptions {
  /** `freshet playground` (in memory) instead of `freshet start`. */
  playground?: boolean;
  /** Data directory for `start`; a fresh temp dir when omitted. */
  dataDir?: string;
  /** Remove the data dir on stop(). Default: only when the testkit created it. */
  removeDataDir?: boolean;
  port?: number;
  env?: Record<string, string>;
  /** Working directory of the server process (default: the repository root). */
  cwd?: string;
  /** Extra CLI arguments. */
  args?: string[];
  /** How long to wait for the server to accept a connection. Default 30 s. */
  startTimeoutMs?: number;
}

export interface FreshetServer {
  port: number;
  host: string;
  /** `postgres://root@127.0.0.1:<port>/dev` */
  url: string;
  dataDir: string | undefined;
  pid: number;
  /** Everything the process printed on stdout and stderr. */
  logs: ProcessLog;
  /** SIGTERM, then SIGKILL after 5 s; removes a testkit-created data dir. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the data dir, for crash-recovery tests. */
  kill9(): Promise<void>;
}

export async function startFreshet(opts: FreshetOptions = {}): Promise<FreshetServer> {
  const playground = opts.playground ?? false;
  const ownDataDir = !playground && opts.dataDir === undefined;
  const dataDir = playground ? undefined : (opts.dataDir ?? mkdtempSync(join(tmpdir(), 'freshet-data-')));
  const removeDataDir = opts.removeDataDir ?? ownDataDir;
  const timeout = opts.startTimeoutMs ?? 30_000;

  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const args = [join(repoRoot, 'bin/freshet.js'), playground ? 'playground' : 'start', '--host', '127.0.0.1', '--port', String(port)];
    if (dataDir) args.push('--data-dir', dataDir);
    args.push(...(opts.args ?? []));
    const logs = new ProcessLog();
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? repoRoot,
      // The server exits by itself if this process dies without stopping it (bin/cli.ts).
      env: { ...process.env, FRESHET_EXIT_WITH_PARENT: String(process.pid), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const verbose = process.env.FRESHET_TEST_VERBOSE ? process.stderr : undefined;
    logs.attach(child.stdout, verbose);
    logs.attach(child.stderr, verbose);
    const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));

    const ready = await waitForPgwire(port, timeout, () => exitedEarly);
    if (ready) return handle(child, port, logs, exited);
    if (!exitedEarly) {
      child.kill('SIGKILL');
      await exited;
      cleanupDataDir();
      throw new Error(`freshet did not accept connections on port ${port} within ${timeout} ms. Log tail:\n${logs.tail()}`);
    }
    // A port race looks like EADDRINUSE in the log; anything else is a real failure.
    if (attempt < 3 && opts.port === undefined && /EADDRINUSE/.test(logs.toString())) continue;
    cleanupDataDir();
    throw new Error(`freshet exited before accepting connections. Log tail:\n${logs.tail()}`);
  }

  function cleanupDataDir() {
    if (removeDataDir && dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  function handle(child: ChildProcess, port: number, logs: ProcessLog, exited: Promise<unknown>): FreshetServer {
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    let done = false;
    return {
      port,
      host: '127.0.0.1',
      url: `postgres://root@127.0.0.1:${port}/dev`,
      dataDir,
      pid: child.pid!,
      logs,
      async stop() {
        if (done) return;
        done = true;
        process.removeListener('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        cleanupDataDir();
      },
      async kill9() {
        if (done) return;
        done = true;
        process.removeListener('exit', killOnExit);
        child.kill('SIGKILL');
        await exited;
      },
    };
  }
}

/** Polls until a full startup handshake succeeds (not just a TCP accept). */
async function waitForPgwire(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev', connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
      await sleep(100);
    }
  }
  return false;
}
