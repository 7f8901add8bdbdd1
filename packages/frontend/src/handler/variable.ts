/**
 * SET / RESET / SHOW <variable>. Values arrive as libpg-query nodes
 * (VariableSetStmt.args are A_Const or TypeCast nodes); they are turned into the text
 * form a RisingWave user would write, then validated by SessionConfig.
 */
import { T, type Row, SqlError, SqlState } from '@freshet/common';
import type { FieldInfo } from '@freshet/pgwire';
import type { FrontendSession } from '../session/session';

function constText(node: any): string {
  if (!node) return '';
  if (node.A_Const) {
    const c = node.A_Const;
    if (c.sval) return c.sval.sval ?? '';
    if (c.ival) return String(c.ival.ival ?? 0);
    if (c.fval) return String(c.fval.fval);
    if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
    if (c.isnull) return '';
    return '';
  }
  if (node.TypeCast) return constText(node.TypeCast.arg);
  if (node.String) return node.String.sval;
  throw new SqlError(SqlState.SyntaxError, 'unsupported SET value');
}

export function handleSet(session: FrontendSession, body: any): { tag: string } {
  const kind: string = body.kind;
  const name: string = body.name ?? '';
  switch (kind) {
    case 'VAR_SET_VALUE': {
      const args: any[] = body.args ?? [];
      let value: string;
      if (name === 'timezone' && args.length === 1 && args[0].A_Const?.ival) {
        // SET TIME ZONE 8 means UTC+8; Intl wants the POSIX-inverted Etc/GMT-8 form.
        const h = args[0].A_Const.ival.ival ?? 0;
        value = h === 0 ? 'UTC' : `Etc/GMT${h > 0 ? '-' : '+'}${Math.abs(h)}`;
      } else {
        value = args.map(constText).join(', ');
      }
      session.config.set(name, value);
      return { tag: 'SET_VARIABLE' };
    }
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      session.config.reset(name);
      return { tag: kind === 'VAR_RESET' ? 'RESET' : 'SET_VARIABLE' };
    case 'VAR_RESET_ALL':
      for (const [n] of session.config.all()) session.config.reset(n);
      return { tag: 'RESET' };
    case 'VAR_SET_MULTI':
      // SET TRANSACTION … / SET SESSION CHARACTERISTICS: accepted; reads are snapshot reads anyway.
      return { tag: 'SET_VARIABLE' };
    case 'VAR_SET_CURRENT':
      return { tag: 'SET_VARIABLE' };
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `unsupported SET form: ${kind}`);
  }
}

const ALL_FIELDS: FieldInfo[] = [
  { name: 'Name', type: T.Varchar },
  { name: 'Setting', type: T.Varchar },
  { name: 'Description', type: T.Varchar },
];

export function showVariableFields(body: any): FieldInfo[] {
  const name: string = body.name;
  if (name === 'all') return ALL_FIELDS;
  return [{ name: name === 'timezone' ? 'TimeZone' : name, type: T.Varchar }];
}

export function handleShowVariable(session: FrontendSession, body: any): { tag: string; rows: Row[] } {
  const name: string = body.name;
  if (name === 'all') {
    const rows = session.config.all();
    return { tag: `SHOW ${rows.length}`, rows };
  }
  return { tag: 'SHOW 1', rows: [[showValue(session, name)]] };
}

/** Read-only server facts that SHOW also answers, as PostgreSQL does. */
function showValue(session: FrontendSession, name: string): string {
  switch (name) {
    case 'server_version':
      return '13.14.0';
    case 'server_version_num':
      return '130014';
    case 'is_superuser':
      return session.frontend.catalog.getUser(session.user)?.superuser ? 'on' : 'off';
    case 'session_user':
    case 'session_authorization':
      return session.user;
    case 'integer_datetimes':
      return 'on';
    case 'max_identifier_length':
      return '63';
    case 'transaction_read_only':
      return 'off';
    case 'default_transaction_isolation':
      return 'read committed';
    default:
      return session.config.get(name);
  }
}
