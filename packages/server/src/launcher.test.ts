/**
 * The `freshet` command (bin/freshet, npm's bin): with a memory limit it execs node with the
 * start-up settings sized to it, in the same process — the PID a supervisor spawned is the
 * server's, and `kill -9` of it leaves nothing behind. Without a limit it only pins the
 * young generation (V8 would shrink it after every idle gap).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const LAUNCHER = join(ROOT, 'bin/freshet');

interface Launched {
  child: ChildProcess;
  /** node's argv as the server process runs, and its MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ (undefined: unset). */
  argv: string[];
  arenas: string | undefined;
  mmapThreshold: string | undefined;
  /** The server process has jemalloc mapped (LD_PRELOAD by the launcher). */
  jemalloc: boolean;
}

/** The jemalloc the launcher preloads, if this system has one where it looks (bin/freshet). */
const JEMALLOC = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib']
  .map((d) => join(d, 'libjemalloc.so.2'))
  .find((f) => existsSync(f));

describe('bin/freshet', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  // Builds the CLI bundle if a source changed: a server that builds it keeps esbuild's
  // service process as a child, which would blur the check that the launcher left none.
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'bin/freshet.js'), '--version'], { cwd: ROOT, stdio: 'ignore' });
  }, 60_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Starts a server through the launcher and waits until it listens. */
  async function launch(args: string[], env: Record<string, string> = {}): Promise<Launched> {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-launcher-'));
    dirs.push(dir);
    // Port 0: the OS picks a free one. A random fixed port could collide with an ephemeral
    // port some other test's connection holds (a CI run failed on EADDRINUSE that way).
    const port = 0;
    const baseEnv = { ...process.env };
    delete baseEnv.MALLOC_ARENA_MAX;
    delete baseEnv.MALLOC_MMAP_THRESHOLD_;
    delete baseEnv.FRESHET_MEMORY_LIMIT;
    delete baseEnv.FRESHET_SEMI_SPACE_MB;
    delete baseEnv.FRESHET_JEMALLOC;
    delete baseEnv.LD_PRELOAD;
    delete baseEnv.MALLOC_CONF;
    const child = spawn(LAUNCHER, ['start', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data'), '--object-store', 'none', ...args], {
      cwd: ROOT,
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${log}`)));
    });
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    const envVar = (name: string) => new RegExp(`(?:^|\0)${name}=([^\0]*)`).exec(environ)?.[1];
    const jemalloc = readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes('libjemalloc');
    return { child, argv, arenas: envVar('MALLOC_ARENA_MAX'), mmapThreshold: envVar('MALLOC_MMAP_THRESHOLD_'), jemalloc };
  }

  it('execs node with the settings for --memory-limit; kill -9 of the spawned PID stops the server', async () => {
    const { child, argv, arenas, mmapThreshold } = await launch(['--memory-limit', '64MiB']);
    expect(argv[0]).toMatch(/node$/);
    expect(argv).toContain('--max-semi-space-size=4');
    expect(argv).toContain('--min-semi-space-size=4');
    expect(arenas).toBe('2');
    expect(mmapThreshold).toBe('131072');
    expect(argv.some((a) => a.endsWith('bin/freshet.js'))).toBe(true);
    // No process of its own: the server has no children (the launcher became the server).
    expect(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()).toBe('');
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    expect(existsSync(`/proc/${child.pid}`)).toBe(false);
  }, 60_000);

  it('reads --memory-limit=<size> and FRESHET_MEMORY_LIMIT, and keeps a MALLOC_ARENA_MAX already set', async () => {
    const eq = await launch(['--memory-limit=128MiB'], { MALLOC_ARENA_MAX: '4' });
    expect(eq.argv).toContain('--max-semi-space-size=8');
    expect(eq.arenas).toBe('4');
    const env = await launch([], { FRESHET_MEMORY_LIMIT: '1GiB' });
    expect(env.argv).toContain('--max-semi-space-size=16');
    expect(env.arenas).toBe('2');
    // FRESHET_SEMI_SPACE_MB: another young generation (latency over RSS under a small limit).
    const young = await launch(['--memory-limit', '32MiB'], { FRESHET_SEMI_SPACE_MB: '16' });
    expect(young.argv).toEqual(expect.arrayContaining(['--min-semi-space-size=16', '--max-semi-space-size=16']));
  }, 60_000);

  it.skipIf(JEMALLOC === undefined)('under a limit preloads jemalloc when the system has it, unless told not to', async () => {
    expect((await launch(['--memory-limit', '64MiB'])).jemalloc).toBe(true);
    expect((await launch(['--memory-limit', '64MiB'], { FRESHET_JEMALLOC: 'off' })).jemalloc).toBe(false);
    expect((await launch([])).jemalloc).toBe(false);
  }, 60_000);

  it('without a limit runs node bin/freshet.js with only the young generation set: 64 MiB at least, 128 at most', async () => {
    const { argv, arenas, mmapThreshold } = await launch([]);
    expect(argv.slice(1, 3)).toEqual(['--min-semi-space-size=64', '--max-semi-space-size=128']);
    expect(argv[3]).toMatch(/bin\/freshet\.js$/);
    expect(arenas).toBeUndefined();
    expect(mmapThreshold).toBeUndefined();
  }, 60_000);
});
