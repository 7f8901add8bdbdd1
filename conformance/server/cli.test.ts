/**
 * The `freshet` command line as a user runs it: help and version output, argument errors,
 * a busy port, the default data directory, and shutdown on SIGTERM/SIGINT.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot, sleep } from '@freshet/testkit';

const BIN = join(repoRoot, 'bin/freshet.js');
const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (killing it after `timeoutMs`). */
function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'freshet-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A stack trace means an error escaped instead of being reported. */
const STACK = /^\s+at .+\(.*:\d+:\d+\)$/m;

describe.concurrent('help and version', () => {
  it.each([['--help'], ['-h'], ['help']])('`freshet %s` describes the commands and exits 0', async (flag) => {
    const r = await runCli([flag]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Usage: freshet/);
    expect(r.stdout).toMatch(/start\b.*data-dir/);
    expect(r.stdout).toMatch(/playground\b.*in-memory/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/psql -h 127\.0\.0\.1 -p 4566/);
  });

  it.each([['--version'], ['-V']])('`freshet %s` prints the package version and exits 0', async (flag) => {
    const r = await runCli([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).toBe('');
  });

  it('`freshet start --help` lists its options with defaults', async () => {
    for (const args of [['start', '--help'], ['help', 'start']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      // Help text wraps at the terminal width; compare with whitespace collapsed.
      const text = r.stdout.replace(/\s+/g, ' ');
      expect(text).toMatch(/Usage: freshet start/);
      expect(text).toMatch(/--data-dir <dir> [^-]*\(default: "\.\/freshet-data"\)/);
      expect(text).toMatch(/--port <port> [^-]*\(default: 4566\)/);
      expect(text).toMatch(/--host <host> [^-]*\(default: "127\.0\.0\.1"\)/);
      expect(text).toMatch(/--log-level/);
    }
  });

  it('`freshet playground --help` lists its options and has no --data-dir', async () => {
    const r = await runCli(['playground', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: freshet playground/);
    expect(r.stdout).toMatch(/nothing is written to disk/);
    expect(r.stdout).toMatch(/--port <port>/);
    expect(r.stdout).not.toMatch(/--data-dir/);
  });
});

describe.concurrent('argument errors exit non-zero with a clear message', () => {
  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['start', '--bogus'], /unknown option '--bogus'/],
    [['playground', '--data-dir', '/tmp/x'], /unknown option '--data-dir'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['start', '--log-level', 'loud'], /loud.*invalid|invalid.*loud|Allowed choices/i],
    [['start', '--port'], /argument missing/],
    [['start', '--port', 'abc'], /invalid port/i],
    [['playground', '--port', '99999'], /invalid port/i],
    [['playground', '--port', '-5'], /invalid port|unknown option/i],
  ])('freshet %j', async (args, message) => {
    const r = await runCli(args as string[], { cwd: tempDir() });
    expect(r.code, `exit code; stderr:\n${r.stderr}`).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(message);
    // Reported, not crashed: no stack trace.
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });
});

async function listenOn(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  return s;
}

describe.concurrent('a busy port', () => {
  it.each([['start'], ['playground']])('`freshet %s --port <busy>` says the port is in use and exits 1', async (cmd) => {
    const port = await freePort();
    const blocker = await listenOn(port);
    try {
      const dir = tempDir();
      const args = [cmd, '--port', String(port)];
      if (cmd === 'start') args.push('--data-dir', join(dir, 'data'));
      const t = performance.now();
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`EADDRINUSE|already in use`));
      expect(r.stderr).toMatch(new RegExp(String(port)));
      expect(r.stderr).not.toMatch(STACK);
      expect(performance.now() - t).toBeLessThan(10_000);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

/** Starts the CLI as a long-running server; resolves once it answers queries. */
async function serve(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d));
  child.stderr.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  const port = Number(args[args.indexOf('--port') + 1]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('CREATE TABLE IF NOT EXISTS t (a INT)');
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`server did not come up:\n${log}`);
      }
      await sleep(100);
    }
  }
  return { child, exited, log: () => log };
}

describe('running servers', () => {
  it('`freshet start` without --data-dir keeps its data in ./freshet-data; SIGTERM stops it with exit 0', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const s = await serve(['start', '--port', String(port)], cwd);
    expect(existsSync(join(cwd, 'freshet-data'))).toBe(true);
    expect(readdirSync(join(cwd, 'freshet-data')).length).toBeGreaterThan(0);
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    expect(code, s.log()).toBe(0);
    expect(s.log()).toMatch(/SIGTERM received/);
    expect(s.log()).toMatch(/server stopped/);
  });

  it('FRESHET_DATA_DIR sets the default data directory; SIGINT stops the server with exit 0', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const dataDir = join(cwd, 'elsewhere');
    const s = await serve(['start', '--port', String(port)], cwd, { FRESHET_DATA_DIR: dataDir });
    expect(existsSync(dataDir)).toBe(true);
    expect(existsSync(join(cwd, 'freshet-data'))).toBe(false);
    s.child.kill('SIGINT');
    const { code } = await s.exited;
    expect(code, s.log()).toBe(0);
  });

  it('FRESHET_EXIT_WITH_PARENT: the server shuts down cleanly once that process is gone', async () => {
    const cwd = tempDir();
    const port = await freePort();
    // Stands in for a test runner that dies without stopping the server it started.
    const parent = spawn('sleep', ['30'], { stdio: 'ignore' });
    const s = await serve(['playground', '--port', String(port)], cwd, { FRESHET_EXIT_WITH_PARENT: String(parent.pid) });
    await sleep(1500);
    expect(s.child.exitCode, 'still running while the parent lives').toBe(null);
    parent.kill('SIGKILL');
    const { code } = await s.exited;
    expect(code, s.log()).toBe(0);
    expect(s.log()).toMatch(new RegExp(`shutting down: parent process ${parent.pid} exited`));
  });

  it('SIGTERM tells connected clients the server is shutting down (57P01)', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const s = await serve(['playground', '--port', String(port)], cwd);
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
    const errors: { code?: string }[] = [];
    c.on('error', (e) => errors.push(e as { code?: string }));
    await c.connect();
    const ended = new Promise((r) => c.once('end', r));
    s.child.kill('SIGTERM');
    await ended;
    expect(errors.map((e) => e.code)).toContain('57P01');
    expect((await s.exited).code).toBe(0);
  });
});
