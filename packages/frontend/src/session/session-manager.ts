/**
 * The engine side of pgwire's SessionManager: authentication requirements from the
 * user catalog, session creation, and cancellation by (processId, secretKey).
 */
import { randomInt } from 'node:crypto';
import { SqlError, SqlState } from '@freshet/common';
import type { AuthRequirement, Session, SessionManager, StartupParams } from '@freshet/pgwire';
import type { Catalog } from '../catalog/catalog';
import { installSystemCatalog } from '../catalog/system';
import type { StorageEngine } from '@freshet/storage';
import { FrontendSession } from './session';
import { StreamingEngine, type StreamingOptions, restoreMaterializedViews } from '../stream-planner';
import { applyStoredSystemParams } from '../stream-planner/system-params';
import { TableLocks } from './table-locks';

export interface FrontendOptions {
  /** What happened that an operator wants to see: DDL, backfill progress, recovery, errors. */
  log?: (msg: string) => void;
  /** Routine per-connection events (connect, close, cancel requests); default: dropped. */
  debug?: (msg: string) => void;
  /** Warnings (sources' malformed messages and outages); default `log`. */
  warn?: (msg: string) => void;
  /** Streaming engine settings (tests). */
  streaming?: Omit<StreamingOptions, 'log' | 'warn'>;
}

/** State shared by all sessions of one server. */
export class Frontend implements SessionManager {
  private readonly sessions = new Map<number, FrontendSession>();
  private nextProcessId = 1;
  readonly log: (msg: string) => void;
  readonly debug: (msg: string) => void;
  /** Materialized views: their stream jobs, barriers and serving state (../stream-planner). */
  readonly streaming: StreamingEngine;
  /** DML against ALTER TABLE's column changes (table-locks.ts). */
  readonly tableLocks = new TableLocks();

  constructor(
    readonly catalog: Catalog,
    readonly storage: StorageEngine,
    opts: FrontendOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
    this.debug = opts.debug ?? (() => {});
    installSystemCatalog(catalog);
    this.streaming = new StreamingEngine(catalog, storage, { ...opts.streaming, log: this.log, warn: opts.warn });
    applyStoredSystemParams(this.streaming, this.log);
    restoreMaterializedViews(this.streaming, this.log);
  }

  authRequirement(user: string): AuthRequirement {
    const u = this.catalog.getUser(user);
    if (!u) {
      throw new SqlError(SqlState.InvalidAuthorizationSpecification, `role "${user}" does not exist`, { severity: 'FATAL' });
    }
    if (!u.canLogin) {
      throw new SqlError(SqlState.InvalidAuthorizationSpecification, `role "${user}" is not permitted to log in`, { severity: 'FATAL' });
    }
    if (!u.scramVerifier && !u.md5Hash) return { method: 'trust' };
    return { method: 'password', scramVerifier: u.scramVerifier, md5Hash: u.md5Hash };
  }

  connect(startup: StartupParams): Session {
    const database = startup.database || startup.user;
    if (!this.catalog.getDatabase(database)) {
      throw new SqlError(SqlState.UndefinedDatabase, `database "${database}" does not exist`, { severity: 'FATAL' });
    }
    const processId = this.nextProcessId++;
    const session = new FrontendSession(this, {
      processId,
      secretKey: randomInt(1, 0x7fffffff),
      user: startup.user,
      database,
      params: startup.params,
    });
    this.sessions.set(processId, session);
    return session;
  }

  cancel(processId: number, secretKey: number): void {
    const s = this.sessions.get(processId);
    if (s && s.secretKey === secretKey) {
      this.debug(`cancel request for session ${processId}`);
      s.cancelRunning();
    }
  }

  /** Called by a session when it closes. */
  forget(processId: number): void {
    this.sessions.delete(processId);
  }

  activeSessions(): Iterable<FrontendSession> {
    return this.sessions.values();
  }
}
