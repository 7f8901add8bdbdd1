/**
 * Ensures the Debian packages the tests need (PostgreSQL, psql, psycopg, JDBC, Redis, kcat).
 * The logic lives in scripts/provision.sh so `npm test` can run it without TypeScript;
 * this is the programmatic entry for tests and tools.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './freshet';

/** Runs scripts/provision.sh; returns its combined output. Throws if the script fails. */
export function ensurePackages(): string {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/provision.sh')], { encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`provisioning failed (exit ${r.status}):\n${out}`);
  return out;
}

/** True when an executable is on $PATH (for skipping tests whose tool is absent). */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
