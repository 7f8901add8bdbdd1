/**
 * One `freshet start` process the bench spawns and stops itself, for measuring restarts:
 * unlike the testkit's starter it returns at once (the caller times the way to serving),
 * keeps the data dir across restarts, and stops with SIGKILL (crash) or SIGTERM (graceful).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ProcessLog } from '@freshet/testkit';

export interface FreshetProcess {
  pid: number;
  port: number;
  logs: ProcessLog;
  /** Resolves with the exit code (or -1 for a signal) when the process is gone. */
  exited: Promise<number>;
  /** SIGKILL (`kill -9`: no shutdown work) or SIGTERM (graceful; SIGKILL after `graceMs`). Resolves once it exited. */
  stop(how: 'kill9' | 'graceful', graceMs?: number): Promise<void>;
}

/**
 * `bin/freshet.js` rebuilds its bundle when a source changed since the last build: a
 * spawn right after an edit would time esbuild too. `--version` builds it (if needed)
 * before any spawn is timed; a quick no-op when the bundle is current.
 */
export function ensureBundle(repoRoot: string): void {
  execFileSync(process.execPath, [join(repoRoot, 'bin/freshet.js'), '--version'], { cwd: repoRoot, stdio: 'ignore' });
}

/**
 * `launcher`: run the `freshet` command users run (bin/freshet, npm's bin: it execs node
 * with its start-up settings — the pinned young generation, and those for a memory limit —
 * same PID) instead of `node bin/freshet.js`. `env`: added to this process's environment.
 */
export function spawnFreshet(repoRoot: string, dataDir: string, port: number, opts: { heapMb?: number; args?: string[]; launcher?: boolean; env?: Record<string, string> } = {}): FreshetProcess {
  const env = { ...process.env, ...opts.env };
  if (opts.heapMb) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${opts.heapMb}`.trim();
  const args = ['start', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(opts.args ?? [])];
  const child: ChildProcess = opts.launcher
    ? spawn(join(repoRoot, 'bin/freshet'), args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [join(repoRoot, 'bin/freshet.js'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = new ProcessLog();
  const verbose = process.env.FRESHET_TEST_VERBOSE ? process.stderr : undefined;
  logs.attach(child.stdout!, verbose);
  logs.attach(child.stderr!, verbose);
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  // Never leave a server behind if the bench dies.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));
  return {
    pid: child.pid!,
    port,
    logs,
    exited,
    async stop(how, graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(how === 'kill9' ? 'SIGKILL' : 'SIGTERM');
      const timer = how === 'graceful' ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
      await exited;
      clearTimeout(timer);
    },
  };
}
