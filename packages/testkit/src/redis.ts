/**
 * A throwaway Redis server (Debian `redis-server`) on a free loopback port: no persistence,
 * its own temp dir, stopped by PID (never by name). `stop()` then `restart()` brings it back
 * on the same port, empty, for outage tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portAccepts, sleep } from './ports';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (it can be restarted). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export function redisServerBinary(): string {
  return process.env.REDIS_SERVER ?? 'redis-server';
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(redisServerBinary(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (b) => (output += b));
    proc.stderr!.on('data', (b) => (output += b));
    child = proc;
    let exited = false;
    proc.once('exit', () => (exited = true));
    // A missing binary is an 'error' event, not an exit: unhandled, it would end the process.
    proc.once('error', (e) => {
      exited = true;
      output += `${e.message}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install the Debian package redis-server: scripts/provision.sh)' : ''}`;
    });
    for (let i = 0; i < 200; i++) {
      if (await portAccepts(port)) return;
      if (exited) break;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}:\n${output}`);
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    child = null;
    const done = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await done;
  };

  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: start,
    async close() {
      await stop();
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
