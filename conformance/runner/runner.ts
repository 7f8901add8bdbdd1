/**
 * Runs sqllogictest files against a server and counts passing records.
 *
 * Unlike the reference runner, which stops a file at its first failure, this one keeps
 * going so a pass *rate* can be measured; each file still gets a fresh database, so one
 * file's leftovers never fail another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describeExpectedError, errorMatches, hashRows, rowsMatch, sortRows } from './compare';
import { DbError, SltConnection, type DbOutput } from './connection';
import { parseFile } from './parser';
import { formatLocation, type QueryRecord, type Record, type SortMode, type StatementRecord } from './records';
import { substitute } from './substitution';

export interface ServerHandle {
  url: string;
  stop(): Promise<void>;
}

export interface RunOptions {
  /** Connection URL of the server's default database; per-file databases are created beside it. */
  url: string;
  /** Labels that `skipif`/`onlyif` test against. Default `['freshet', 'risingwave']`. */
  labels?: string[];
  /** Per-record time limit; a record that exceeds it fails and its connection is replaced. */
  recordTimeoutMs?: number;
  /** Run `SET RW_IMPLICIT_FLUSH TO true` on each connection: 'auto' = for `.slt.part` files. */
  implicitFlush?: 'auto' | boolean;
  /** When `CREATE DATABASE` fails, run the file on a server from this factory instead. */
  newServer?: () => Promise<ServerHandle>;
  /** Paths in results are shown relative to this directory. */
  baseDir?: string;
  /** Called after each file, e.g. to print progress. */
  onFile?: (result: FileResult) => void;
  /**
   * Wall-clock budget for the whole run. Once spent, remaining records count as failed
   * ("not run") instead of running, so a slow or hung server cannot blow a CI time limit.
   */
  budgetMs?: number;
}

export type FailureKind = 'unexpected-error' | 'unexpected-ok' | 'error-mismatch' | 'result-mismatch' | 'count-mismatch' | 'not-run';

export interface RecordFailure {
  location: string;
  kind: FailureKind;
  sql: string;
  expected: string;
  actual: string;
}

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  failures: RecordFailure[];
  /** Where the file ran: a fresh database, a fresh server, or (fallback) the shared database. */
  isolation: 'database' | 'server' | 'shared';
  /** Set when the file could not be run at all (parse error, no connection). */
  error?: string;
  durationMs: number;
}

export interface RunSummary {
  files: FileResult[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export async function runFiles(files: string[], opts: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const results: FileResult[] = [];
  const deadline = opts.budgetMs === undefined ? undefined : started + opts.budgetMs;
  for (const f of files) {
    const r = await runFile(f, { ...opts, deadline });
    results.push(r);
    opts.onFile?.(r);
  }
  return {
    files: results,
    passed: results.reduce((n, r) => n + r.passed, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    skipped: results.reduce((n, r) => n + r.skipped, 0),
    durationMs: Date.now() - started,
  };
}

let dbCounter = 0;

function databaseName(file: string): string {
  const base = file
    .replace(/^.*\//, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .slice(0, 40);
  return `slt_${process.pid}_${++dbCounter}_${base}`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Creates a fresh database or server for the file; returns its URL and a cleanup function. */
async function isolate(file: string, opts: RunOptions): Promise<{ url: string; isolation: FileResult['isolation']; cleanup: () => Promise<void> }> {
  const db = databaseName(file);
  let createError: string | undefined;
  try {
    const admin = await SltConnection.open(opts.url);
    try {
      await admin.run(`CREATE DATABASE ${db}`, 30_000);
    } finally {
      await admin.close();
    }
    return {
      url: withDatabase(opts.url, db),
      isolation: 'database',
      cleanup: async () => {
        const admin2 = await SltConnection.open(opts.url).catch(() => undefined);
        if (!admin2) return;
        await admin2.run(`DROP DATABASE ${db}`, 30_000).catch(() => {});
        await admin2.close();
      },
    };
  } catch (e) {
    createError = (e as Error).message;
  }
  if (opts.newServer) {
    const server = await opts.newServer();
    return { url: server.url, isolation: 'server', cleanup: () => server.stop() };
  }
  process.stderr.write(`slt: CREATE DATABASE failed (${createError}); running ${file} in the shared database\n`);
  return { url: opts.url, isolation: 'shared', cleanup: async () => {} };
}

export async function runFile(file: string, opts: RunOptions & { deadline?: number }): Promise<FileResult> {
  const started = Date.now();
  const shown = opts.baseDir ? relative(opts.baseDir, file) : file;
  const result: FileResult = { file: shown, passed: 0, failed: 0, skipped: 0, failures: [], isolation: 'database', durationMs: 0 };
  let records: Record[];
  try {
    records = parseFile(file);
  } catch (e) {
    result.error = `parse error: ${(e as Error).message}`;
    result.failed = 1;
    result.durationMs = Date.now() - started;
    return result;
  }

  if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
    result.error = 'time budget exhausted before this file';
    countNotRun(records, 0, result, opts.baseDir, result.error);
    result.durationMs = Date.now() - started;
    return result;
  }

  let env;
  try {
    env = await isolate(file, opts);
  } catch (e) {
    result.error = `could not set up a database: ${(e as Error).message}`;
    countNotRun(records, 0, result, opts.baseDir, result.error);
    result.durationMs = Date.now() - started;
    return result;
  }
  result.isolation = env.isolation;
  const implicitFlush = opts.implicitFlush === 'auto' || opts.implicitFlush === undefined ? file.endsWith('.slt.part') : opts.implicitFlush;
  const exec = new FileExecution(env.url, implicitFlush, opts, result);
  try {
    await exec.run(records);
  } finally {
    await exec.closeAll();
    await env.cleanup().catch(() => {});
    exec.dispose();
  }
  result.durationMs = Date.now() - started;
  return result;
}

function countNotRun(records: Record[], from: number, result: FileResult, baseDir: string | undefined, reason: string) {
  for (const r of records.slice(from)) {
    if (r.type !== 'statement' && r.type !== 'query') continue;
    result.failed++;
    result.failures.push({ location: showLoc(r, baseDir), kind: 'not-run', sql: r.sql, expected: '', actual: reason });
  }
}

function showLoc(r: Record, baseDir: string | undefined): string {
  if (!baseDir) return formatLocation(r.loc);
  const rel = (p: string) => (p.startsWith('/') ? relative(baseDir, p) : p);
  return formatLocation({ file: rel(r.loc.file), line: r.loc.line, via: r.loc.via.map((v) => rel(v)) });
}

/** State while running one file: connections, sort mode, substitution, hash threshold. */
class FileExecution {
  private readonly conns = new Map<string, SltConnection>();
  private sortMode: SortMode | undefined;
  private substitution = false;
  private hashThreshold = 0;
  private testDir: string | undefined;
  private readonly labels: Set<string>;
  private readonly timeoutMs: number;

  constructor(
    private readonly url: string,
    private readonly implicitFlush: boolean,
    private readonly opts: RunOptions & { deadline?: number },
    private readonly result: FileResult,
  ) {
    this.labels = new Set(opts.labels ?? ['freshet', 'risingwave']);
    this.timeoutMs = opts.recordTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async run(records: Record[]): Promise<void> {
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      if (this.opts.deadline !== undefined && Date.now() >= this.opts.deadline) {
        countNotRun(records, i, this.result, this.opts.baseDir, 'time budget exhausted');
        this.result.error = 'time budget exhausted';
        return;
      }
      switch (rec.type) {
        case 'halt':
          return;
        case 'sleep':
          await new Promise((r) => setTimeout(r, rec.ms));
          break;
        case 'sortmode':
          this.sortMode = rec.mode;
          break;
        case 'substitution':
          this.substitution = rec.on;
          break;
        case 'hash-threshold':
          this.hashThreshold = rec.threshold;
          break;
        case 'include-missing':
          break;
        case 'system':
          // `system ok` runs RisingWave's own tools; they don't exist here.
          this.result.skipped++;
          break;
        case 'statement':
        case 'query': {
          if (this.shouldSkip(rec)) {
            this.result.skipped++;
            break;
          }
          let conn: SltConnection;
          try {
            conn = await this.connection(rec.connection);
          } catch (e) {
            countNotRun(records, i, this.result, this.opts.baseDir, `cannot connect: ${(e as Error).message}`);
            return;
          }
          let failure = await this.check(rec, conn);
          for (let a = 0; failure && rec.retry && a < rec.retry.attempts; a++) {
            await new Promise((r) => setTimeout(r, rec.retry!.backoffMs));
            failure = await this.check(rec, conn);
          }
          if (failure) {
            this.result.failed++;
            this.result.failures.push(failure);
          } else this.result.passed++;
          break;
        }
      }
    }
  }

  private shouldSkip(rec: StatementRecord | QueryRecord): boolean {
    return rec.conditions.some((c) => (c.kind === 'skipif' ? this.labels.has(c.label) : !this.labels.has(c.label)));
  }

  private async connection(name: string | undefined): Promise<SltConnection> {
    const key = name ?? '';
    const existing = this.conns.get(key);
    if (existing?.alive) return existing;
    if (existing) {
      await existing.close();
      this.conns.delete(key);
    }
    const conn = await SltConnection.open(this.url);
    if (this.implicitFlush) {
      // PostgreSQL (used to validate suites) has no such setting; that's fine.
      await conn.run('SET RW_IMPLICIT_FLUSH TO true', this.timeoutMs).catch(() => {});
    }
    this.conns.set(key, conn);
    return conn;
  }

  private substituted(sql: string): string {
    if (!this.substitution) return sql;
    return substitute(sql, (name) => {
      switch (name) {
        case '__TEST_DIR__':
          return (this.testDir ??= mkdtempSync(join(tmpdir(), 'slt-')));
        case '__NOW__':
          return String(BigInt(Date.now()) * 1_000_000n);
        case '__DATABASE__':
          return new URL(this.url).pathname.slice(1);
        default:
          return process.env[name];
      }
    });
  }

  private async check(rec: StatementRecord | QueryRecord, conn: SltConnection): Promise<RecordFailure | undefined> {
    const fail = (kind: FailureKind, expected: string, actual: string): RecordFailure => ({
      location: showLoc(rec, this.opts.baseDir),
      kind,
      sql: rec.sql,
      expected,
      actual,
    });
    let out: DbOutput | undefined;
    let err: DbError | undefined;
    try {
      out = await conn.run(this.substituted(rec.sql), this.timeoutMs);
    } catch (e) {
      err = e instanceof DbError ? e : new DbError(`substitution failed: ${(e as Error).message}`, undefined, true);
    }

    const expectsError = rec.expect.kind === 'error';
    if (err) {
      if (!expectsError) return fail('unexpected-error', rec.type === 'query' ? 'rows' : 'ok', err.message);
      const expected = (rec.expect as { error: Parameters<typeof errorMatches>[0] }).error;
      return errorMatches(expected, err.message) ? undefined : fail('error-mismatch', describeExpectedError(expected), err.message);
    }
    if (expectsError) return fail('unexpected-ok', describeExpectedError((rec.expect as { error: Parameters<typeof errorMatches>[0] }).error), 'success');

    if (rec.type === 'statement') {
      if (rec.expect.kind === 'count') {
        const actual = out!.kind === 'complete' ? out!.count : out!.rows.length;
        if (actual !== rec.expect.count) return fail('count-mismatch', `${rec.expect.count} rows affected`, `${actual} rows affected`);
      }
      return undefined;
    }

    const expect = rec.expect as Extract<QueryRecord['expect'], { kind: 'results' }>;
    if (out!.kind === 'complete') {
      // The reference runner accepts a statement result for a query that expects nothing.
      return expect.results.length === 0 ? undefined : fail('result-mismatch', expect.results.join('\n'), '(statement complete, no rows)');
    }
    const sorted = sortRows(out!.rows, expect.sortMode ?? this.sortMode);
    const rows = hashRows(sorted, out!.columns, this.hashThreshold);
    if (rowsMatch(rows, expect.results)) return undefined;
    return fail('result-mismatch', expect.results.join('\n'), rows.map((r) => r.join(' ')).join('\n'));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.conns.values()].map((c) => c.close()));
    this.conns.clear();
  }

  dispose(): void {
    if (this.testDir) rmSync(this.testDir, { recursive: true, force: true });
  }
}
