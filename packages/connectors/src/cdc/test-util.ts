/**
 * Helpers for the CDC tests: upstream PostgreSQL restarts and slot inspection. (Not a test
 * file, so it does not import @freshet/testkit: the tests pass the server and its bin dir.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';

/**
 * `pg_ctl restart -m fast` of the test's own server (its data dir; as the postgres OS user
 * when root). Asynchronous: the event loop keeps running, so readers answer the walsender.
 */
export async function restartPostgres(server: { dataDir: string }, binDir: string): Promise<void> {
  const pgCtl = join(binDir, 'pg_ctl');
  const args = ['-D', server.dataDir, '-m', 'fast', '-w', '-t', '60', 'restart'];
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', pgCtl, ...args]] : [pgCtl, args];
  const p = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  if (code !== 0) throw new Error(`pg_ctl restart failed: ${out}`);
}

export async function slotLsn(client: pg.Client, slot: string): Promise<string | undefined> {
  const r = await client.query('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return r.rows[0]?.l ?? undefined;
}

/** Polls `f` until it returns true (or fails after `ms`). */
export async function until(f: () => boolean | Promise<boolean>, ms = 15000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await f()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
