/**
 * One client connection's state: settings, transaction status, notices, and the
 * translation from SQL text to Portals. The routing of statements to handlers lives in
 * dispatch.ts; this file owns lifecycle and protocol-facing bookkeeping only.
 */
import { type DataType, SqlError, SqlState } from '@freshet/common';
import type { BindParams, Notice, Portal, PreparedStatement, Session } from '@freshet/pgwire';
import { parseSql } from '@freshet/sql';
import { CancelToken } from './cancel';
import { SessionConfig } from './config';
import { type PreparedCommand, prepareStatement } from './dispatch';
import { PlanCache } from './plan-cache';
import { decodeBindParams } from './bind-params';
import { CopyCache } from '../handler/dml-copy';
import type { Frontend } from './session-manager';

export interface SessionInit {
  processId: number;
  secretKey: number;
  user: string;
  database: string;
  params: Record<string, string>;
}

export type TxStatus = 'I' | 'T' | 'E';

export class FrontendSession implements Session {
  readonly processId: number;
  readonly secretKey: number;
  readonly user: string;
  database: string;
  readonly config: SessionConfig;
  txStatus: TxStatus = 'I';
  /** Inside BEGIN READ ONLY: writes are rejected with 25006. */
  readOnlyTx = false;
  /** Token of the statement currently executing; replaced per statement. */
  cancelToken = new CancelToken();
  private notices: Notice[] = [];
  readonly connectedAt = Date.now();
  /** Text of the running statement, for pg_stat_activity / SHOW PROCESSLIST. */
  currentQuery = '';
  /** Query plans reused across queries of the same shape (plan-cache.ts). */
  readonly planCache = new PlanCache(this);
  /** COPY FROM statements repeated by loaders, bound once (../handler/dml-copy.ts). */
  readonly copyCache = new CopyCache(this);

  constructor(
    readonly frontend: Frontend,
    init: SessionInit,
  ) {
    this.processId = init.processId;
    this.secretKey = init.secretKey;
    this.user = init.user;
    this.database = init.database;
    const startup: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.params)) {
      if (k === 'user' || k === 'database' || k === 'options') continue;
      startup[k] = v;
    }
    this.config = new SessionConfig(startup);
    frontend.debug(`session ${this.processId} connected: user=${this.user} database=${this.database}`);
  }

  initialParameters(): [string, string][] {
    this.config.takeChanges();
    return [
      ['server_version', '13.14.0'],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['TimeZone', this.config.get('timezone')],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['application_name', this.config.get('application_name')],
      ['IntervalStyle', 'postgres'],
      ['is_superuser', this.frontend.catalog.getUser(this.user)?.superuser ? 'on' : 'off'],
      ['session_authorization', this.user],
    ];
  }

  takeParameterChanges(): [string, string][] {
    return this.config.takeChanges();
  }

  takeNotices(): Notice[] {
    const n = this.notices;
    // Asked after every statement: no new array when there was nothing to report.
    if (n.length === 0) return n;
    this.notices = [];
    return n;
  }

  notice(message: string, severity: Notice['severity'] = 'NOTICE', code = '00000'): void {
    this.notices.push({ severity, code, message });
  }

  timeZone(): string {
    return this.config.get('timezone');
  }

  transactionStatus(): TxStatus {
    return this.txStatus;
  }

  searchPath(): string[] {
    return this.config.searchPath();
  }

  /** Starts a statement: fresh cancel token; a failed transaction block rejects all but ROLLBACK. */
  beginStatement(text: string): CancelToken {
    this.cancelToken = new CancelToken();
    this.currentQuery = text;
    return this.cancelToken;
  }

  cancelRunning(): void {
    this.cancelToken.cancel();
  }

  simpleQuery(sql: string): Portal[] {
    const cached = this.planCache.simpleQuery(sql) ?? this.copyCache.simpleQuery(sql);
    if (cached) return [cached];
    const stmts = parseSql(sql);
    // Statements are prepared lazily, one at a time, so `CREATE TABLE t …; INSERT INTO t …`
    // in one message binds the INSERT after the CREATE has run.
    return stmts.map((stmt) => new LazyPortal(this, stmt));
  }

  prepare(sql: string, paramTypes: (DataType | null)[]): PreparedStatement {
    const cached = this.planCache.prepared(sql, paramTypes);
    if (cached) return cached;
    const stmts = parseSql(sql);
    if (stmts.length > 1) {
      throw new SqlError(SqlState.SyntaxError, 'cannot insert multiple commands into a prepared statement');
    }
    // A SELECT is planned by the plan cache (which can keep it); anything else as usual.
    return this.planCache.prepare(sql, paramTypes, stmts[0]) ?? prepareStatement(this, stmts[0] ?? null, paramTypes);
  }

  bind(stmt: PreparedStatement, params: BindParams): Portal {
    const prepared = stmt as PreparedCommand;
    const types = prepared.describe().paramTypes;
    if (params.count !== types.length) {
      throw new SqlError(
        SqlState.ProtocolViolation,
        `bind message supplies ${params.count} parameters, but prepared statement requires ${types.length}`,
      );
    }
    return prepared.bind(decodeBindParams(types, params, this.timeZone()));
  }

  onError(_err: SqlError): void {
    if (this.txStatus === 'T') this.txStatus = 'E';
  }

  close(): void {
    this.cancelToken.cancel('terminating connection');
    this.frontend.forget(this.processId);
    this.frontend.debug(`session ${this.processId} closed`);
  }
}

/** A simple-query statement, prepared when pgwire first asks about it. */
class LazyPortal implements Portal {
  private inner: Portal | null = null;
  constructor(
    private readonly session: FrontendSession,
    private readonly stmt: ReturnType<typeof parseSql>[number],
  ) {}

  /**
   * Planning is synchronous, and pgwire finishes executing the previous portal before it
   * touches this one, so preparing on first use sees the previous statement's DDL.
   */
  private open(): Portal {
    if (!this.inner) {
      this.inner = prepareStatement(this.session, this.stmt, []).bind([]);
    }
    return this.inner;
  }

  fields() {
    return this.open().fields();
  }

  execute(maxRows: number) {
    return this.open().execute(maxRows);
  }

  close(): void {
    this.inner?.close();
  }
}
