/**
 * Builds the query engine's view of a session for one statement. `now()` is fixed at
 * construction so every NOW() in a statement sees the same instant, as in PostgreSQL.
 */
import type { QueryContext } from '../binder/context';
import { type SessionActivity, type SystemSessionInfo, internalSetting, streamingJobs } from '../catalog/system';
import { checkpointStatus } from '../catalog/system/rw-checkpoints';
import type { FrontendSession } from './session';

/** What both queries and DDL resolve names against: the catalog, storage and session's scope. */
export function sessionScope(session: FrontendSession) {
  return {
    catalog: session.frontend.catalog,
    storage: session.frontend.storage,
    database: session.database,
    searchPath: session.searchPath(),
    user: session.user,
  };
}

export function queryContext(session: FrontendSession): QueryContext {
  const nowMicros = Date.now() * 1000;
  return {
    ...sessionScope(session),
    timeZone: session.timeZone(),
    now: () => nowMicros,
    sessionVar: (name) => (session.config.has(name) ? session.config.get(name) : internalSetting(name)),
    session: systemSessionInfo(session),
  };
}

/** What pg_backend_pid(), pg_settings and pg_stat_activity read; evaluated when queried. */
function systemSessionInfo(session: FrontendSession): SystemSessionInfo {
  return {
    processId: session.processId,
    settings: () => session.config.all(),
    setSetting: (name, value) => {
      session.config.set(name, value);
      return session.config.get(name);
    },
    activity: () => [...session.frontend.activeSessions()].map((s): SessionActivity => ({
      pid: s.processId,
      user: s.user,
      database: s.database,
      applicationName: s.config.get('application_name'),
      backendStart: s.connectedAt,
      query: s.currentQuery,
      state: s === session ? 'active' : s.txStatus === 'I' ? 'idle' : 'idle in transaction',
    })),
    streamingJobs: () => streamingJobs(session.frontend.catalog, session.frontend.streaming),
    checkpointStatus: () => checkpointStatus(session.frontend.streaming),
  };
}
