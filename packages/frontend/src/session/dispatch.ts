/**
 * Routes a parsed statement to the handler that owns it and wraps the result as a
 * prepared command (Parse) that can be bound into portals (Bind). Queries and DML go to
 * the query engine, DDL to handler/ddl, session statements to handler/*.
 */
import { type Datum, type Row, SqlError, SqlState, notSupported } from '@freshet/common';
import type { FieldInfo, Portal, PreparedStatement, StatementDescription } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import type { DataType } from '@freshet/common';
import { CommandPortal } from './portal';
import type { FrontendSession } from './session';
import { handleSet, handleShowVariable, showVariableFields } from '../handler/variable';
import { handleTransaction } from '../handler/transaction';
import { prepareQueryCommand } from './query-command';
import { ddlCommand } from './ddl-command';
import { createTableAsCommand } from './create-table-as';
import { showCommand } from '../handler/show';
import { describeCommand } from '../handler/describe';
import { createMaterializedViewCommand, explainCreateMaterializedViewCommand, flushCommand } from '../stream-planner';
import { explainCreateSinkCommand } from '../stream-planner/explain-sink';
import { createSourceCommand, dropSourceCommand } from '../stream-planner/source-commands';
import { createSinkCommand, dropSinkCommand } from '../stream-planner/sink';
import { alterSystemCommand } from '../stream-planner/system-params';
import { copyCommand } from '../handler/dml-copy';

export interface PreparedCommand extends PreparedStatement {
  bind(params: Datum[]): Portal;
}

/** A statement whose execution is a single action with a fixed result shape. */
export function simpleCommand(
  fields: FieldInfo[] | null,
  action: () => Promise<{ tag: string; rows?: Row[] }> | { tag: string; rows?: Row[] },
): PreparedCommand {
  return {
    describe: (): StatementDescription => ({ paramTypes: [], fields }),
    bind: () => new CommandPortal(fields, action),
  };
}

const EMPTY: PreparedCommand = simpleCommand(null, () => ({ tag: '' }));

/** Statement node types that go to the batch query engine. */
const QUERY_NODES = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'ExplainStmt']);

export function prepareStatement(
  session: FrontendSession,
  stmt: Statement | null,
  paramTypes: (DataType | null)[],
): PreparedCommand {
  if (!stmt) return EMPTY;
  if (session.txStatus === 'E' && !(stmt.kind === 'pg' && 'TransactionStmt' in (stmt.node as object))) {
    throw new SqlError(
      SqlState.InFailedSqlTransaction,
      'current transaction is aborted, commands ignored until end of transaction block',
    );
  }
  switch (stmt.kind) {
    case 'pg':
      return preparePg(session, stmt, paramTypes);
    case 'flush':
      return flushCommand(session);
    case 'show':
      return showCommand(session, stmt);
    case 'describe':
      return describeCommand(session, stmt);
    case 'create_source':
      return createSourceCommand(session, stmt);
    case 'create_sink':
      return createSinkCommand(session, stmt);
    case 'explain':
      if (stmt.inner.kind === 'pg' && (stmt.inner.node as Record<string, any>).CreateTableAsStmt?.objtype === 'OBJECT_MATVIEW') {
        return explainCreateMaterializedViewCommand(session, stmt.inner);
      }
      if (stmt.inner.kind === 'create_sink') return explainCreateSinkCommand(session, stmt.inner);
      return unsupported(`EXPLAIN of ${stmt.inner.kind === 'pg' ? Object.keys(stmt.inner.node)[0].replace(/Stmt$/, '') : stmt.inner.kind}`, 'EXPLAIN works for SELECT, VALUES and DML today.');
    case 'drop':
      if (stmt.objectKind === 'source') return dropSourceCommand(session, stmt);
      if (stmt.objectKind === 'sink') return dropSinkCommand(session, stmt);
      return dropStreamingObject(session, stmt);
    default:
      return ddlCommand(session, stmt);
  }
}

/**
 * DROP CONNECTION / SECRET / SUBSCRIPTION: no such objects can exist yet, so IF EXISTS
 * is a notice and anything else names the missing object.
 */
function dropStreamingObject(session: FrontendSession, stmt: Extract<Statement, { kind: 'drop' }>): PreparedCommand {
  return simpleCommand(null, () => {
    const kind = stmt.objectKind;
    for (const name of stmt.names) {
      if (!stmt.ifExists) throw new SqlError(SqlState.UndefinedObject, `${kind} not found: ${name}`);
      session.notice(`${kind} "${name}" does not exist, skipping`);
    }
    return { tag: `DROP_${kind.toUpperCase()}` };
  });
}

function unsupported(what: string, hint: string): PreparedCommand {
  return simpleCommand(null, () => {
    throw notSupported(what, hint);
  });
}

function preparePg(session: FrontendSession, stmt: Extract<Statement, { kind: 'pg' }>, paramTypes: (DataType | null)[]): PreparedCommand {
  const node = stmt.node as Record<string, any>;
  const type = Object.keys(node)[0];
  const body = node[type];
  if (QUERY_NODES.has(type)) return prepareQueryCommand(session, stmt, paramTypes);
  switch (type) {
    case 'VariableSetStmt':
      return simpleCommand(null, () => handleSet(session, body));
    case 'VariableShowStmt':
      return simpleCommand(showVariableFields(body), () => handleShowVariable(session, body));
    case 'TransactionStmt':
      return simpleCommand(null, () => handleTransaction(session, body));
    case 'CopyStmt':
      return copyCommand(session, stmt);
    case 'DeallocateStmt':
      return simpleCommand(null, () => ({ tag: 'DEALLOCATE' }));
    case 'DiscardStmt':
      return simpleCommand(null, () => ({ tag: 'DISCARD ALL' }));
    case 'AlterSystemStmt':
      return alterSystemCommand(session, body);
    case 'CreateTableAsStmt':
      if (body.objtype === 'OBJECT_MATVIEW') {
        return createMaterializedViewCommand(session, stmt);
      }
      return createTableAsCommand(session, stmt);
    default:
      return ddlCommand(session, stmt);
  }
}
