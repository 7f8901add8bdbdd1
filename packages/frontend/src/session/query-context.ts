/**
 * Builds the query engine's view of a session for one statement. `now()` is fixed at
 * construction so every NOW() in a statement sees the same instant, as in PostgreSQL.
 */
import type { QueryContext } from '../binder/context';
import type { FrontendSession } from './session';

export function queryContext(session: FrontendSession): QueryContext {
  const nowMicros = Date.now() * 1000;
  return {
    catalog: session.frontend.catalog,
    storage: session.frontend.storage,
    database: session.database,
    searchPath: session.searchPath(),
    user: session.user,
    timeZone: session.timeZone(),
    now: () => nowMicros,
    sessionVar: (name) => (session.config.has(name) ? session.config.get(name) : undefined),
  };
}
