/**
 * CREATE SOURCE and DROP SOURCE as session commands (the DDL itself is in
 * handler/ddl/create-source.ts). DROP … CASCADE stops the dropped MVs' jobs at once.
 */
import type { Statement } from '@freshet/sql';
import { createSource, dropSources } from '../handler/ddl/create-source';
import { ddlContext } from '../session/ddl-command';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';

export function createSourceCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'create_source' }>): PreparedCommand {
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const tag = await createSource(ddlContext(session), stmt);
    session.frontend.log(`ddl by ${session.user}: ${tag}`);
    return { tag };
  });
}

export function dropSourceCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'drop' }>): PreparedCommand {
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const tag = await dropSources(ddlContext(session), stmt);
    session.frontend.streaming.reconcile();
    session.frontend.log(`ddl by ${session.user}: ${tag}`);
    return { tag };
  });
}
