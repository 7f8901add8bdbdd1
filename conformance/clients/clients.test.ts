/**
 * Real clients against a real server: psql, node-postgres, postgres.js, psycopg2, psycopg 3
 * and JDBC each play the scenario in scenario.ts. The server is Freshet started by the
 * testkit, or PostgreSQL with FRESHET_TEST_TARGET=postgres (which validates the scripts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, startTestTarget, type TestTarget } from '@freshet/testkit';
import { runPgScenario, type Conn } from './pg-client';
import { runPostgresJsScenario } from './postgresjs-client';
import { EXPECTED_SESSION, expectedDescribe, resultLines, runPsqlDescribe, runPsqlScenario } from './psql-client';
import { STEPS } from './scenario';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const SYSTEM_PYTHON = '/usr/bin/python3';
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const CLIENT_TIMEOUT = 60_000;

function pythonHas(module: string): boolean {
  return existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}`]).status === 0;
}

/** Skips loudly: a missing client means provisioning failed, which should be visible. */
function available(what: string, ok: boolean): boolean {
  if (!ok) process.stderr.write(`\n*** clients.test: ${what} is not installed; its test is skipped (run scripts/provision.sh as root) ***\n`);
  return ok;
}

const haveJava = available('javac/java + libpostgresql-jdbc-java', hasCommand('javac') && hasCommand('java') && existsSync(JDBC_JAR));
const havePsql = available('psql (postgresql-client)', hasCommand('psql'));
const havePsycopg2 = available('python3-psycopg2', pythonHas('psycopg2'));
const havePsycopg3 = available('python3-psycopg', pythonHas('psycopg'));

describe('real clients', () => {
  let target: TestTarget;
  let conn: Conn;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    target = await startTestTarget();
    conn = { host: target.host, port: target.port, user: target.user, database: target.database, target: target.kind };
    env = {
      ...process.env,
      PGHOST: target.host,
      PGPORT: String(target.port),
      PGUSER: target.user,
      PGDATABASE: target.database,
      PGPASSWORD: '',
      FRESHET_TARGET: target.kind,
    };
  });

  afterAll(async () => {
    await target?.stop();
  });

  /** Runs a script that prints `ok <step>` lines; asserts it completed every step. */
  function expectScriptSteps(r: { status: number | null; stdout: string; stderr: string }) {
    const steps = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('ok '))
      .map((l) => l.split(' ')[1]);
    if (r.status !== 0 || steps.length !== STEPS.length) {
      throw new Error(`client failed (exit ${r.status}) after steps [${steps.join(', ')}]\n${r.stdout}\n${r.stderr}\nserver log tail:\n${target.logs().split('\n').slice(-30).join('\n')}`);
    }
    expect(steps).toEqual([...STEPS]);
  }

  it.runIf(havePsql)('psql', { timeout: CLIENT_TIMEOUT }, async () => {
    const { session, cancel, after } = await runPsqlScenario(env, target.kind === 'freshet');
    const lines = resultLines(session.output).filter((l) => l !== 'SET' && l !== 'SET_VARIABLE');
    expect(lines.length, session.output).toBe(EXPECTED_SESSION.length);
    lines.forEach((l, i) => expect(l, `line ${i + 1} of:\n${session.output}`).toMatch(EXPECTED_SESSION[i]));
    expect(cancel.output).toMatch(/ERROR: {2}57014: canceling statement due to user request/);
    expect(after.code).toBe(0);
    expect(after.output.trim()).toBe('42');
  });

  it.runIf(havePsql)('psql \\dt and \\d (pg_catalog queries)', { timeout: CLIENT_TIMEOUT }, async () => {
    const r = await runPsqlDescribe(env);
    const lines = resultLines(r.output).filter((l) => !/^NOTICE|does not exist, skipping/.test(l));
    const expected = expectedDescribe(target.user);
    expect(r.code, r.output).toBe(0);
    expect(lines.length, r.output).toBe(expected.length);
    lines.forEach((l, i) => expect(l, `line ${i + 1} of:\n${r.output}`).toMatch(expected[i]));
  });

  it('pg (node-postgres)', { timeout: CLIENT_TIMEOUT }, async () => {
    expect(await runPgScenario(conn)).toEqual([...STEPS]);
  });

  it('postgres (postgres.js)', { timeout: CLIENT_TIMEOUT }, async () => {
    expect(await runPostgresJsScenario(conn)).toEqual([...STEPS]);
  });

  it.runIf(havePsycopg2)('psycopg2', { timeout: CLIENT_TIMEOUT }, () => {
    const r = spawnSync(SYSTEM_PYTHON, [here('./psycopg2_client.py')], { env, encoding: 'utf8', timeout: CLIENT_TIMEOUT });
    expectScriptSteps(r);
  });

  it.runIf(havePsycopg3)('psycopg 3', { timeout: CLIENT_TIMEOUT }, () => {
    const r = spawnSync(SYSTEM_PYTHON, [here('./psycopg3_client.py')], { env, encoding: 'utf8', timeout: CLIENT_TIMEOUT });
    expectScriptSteps(r);
  });

  it.runIf(haveJava)('JDBC', { timeout: CLIENT_TIMEOUT }, () => {
    const out = mkdtempSync(join(tmpdir(), 'freshet-jdbc-'));
    try {
      const javac = spawnSync('javac', ['-d', out, '-cp', JDBC_JAR, here('./JdbcClient.java')], { encoding: 'utf8' });
      expect(javac.status, javac.stderr).toBe(0);
      const r = spawnSync('java', ['-cp', `${out}:${JDBC_JAR}`, 'JdbcClient'], { env, encoding: 'utf8', timeout: CLIENT_TIMEOUT });
      expectScriptSteps(r);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
