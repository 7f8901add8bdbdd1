/**
 * Adapts DDL handlers (../handler/ddl) to prepared commands. DDL takes no parameters
 * and returns no rows; its work runs at execute time, in statement order.
 */
import { notSupported } from '@freshet/common';
import type { Statement } from '@freshet/sql';
import { executeDdl, isDdl, type DdlContext } from '../handler/ddl';
import { describeQuery } from '../query';
import { type PreparedCommand, simpleCommand } from './dispatch';
import { queryContext, sessionScope } from './query-context';
import type { FrontendSession } from './session';

export function ddlContext(session: FrontendSession): DdlContext {
  return {
    ...sessionScope(session),
    notice: (msg) => session.notice(msg),
    describeQuery: (sql) => describeQuery(queryContext(session), sql),
    tableLocks: session.frontend.tableLocks,
  };
}

export function ddlCommand(session: FrontendSession, stmt: Statement): PreparedCommand {
  if (!isDdl(stmt)) {
    const what = stmt.kind === 'pg' ? Object.keys(stmt.node)[0].replace(/Stmt$/, '') : stmt.kind;
    return simpleCommand(null, () => {
      throw notSupported(`statement ${what}`);
    });
  }
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const tag = await executeDdl(ddlContext(session), stmt);
    session.frontend.log(`ddl by ${session.user}: ${tag}`);
    return { tag };
  });
}
