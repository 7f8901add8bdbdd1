/**
 * The one place where anything thrown becomes ErrorResponse fields. SqlErrors keep
 * their SQLSTATE, detail, hint and position; anything else is a bug somewhere and goes
 * to the client as XX000 with its message, and to the log with its stack.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { ErrorFields } from '../codec/backend-messages';
import type { Notice } from '../session';

export interface MappedError extends ErrorFields {
  /** The connection must be closed after sending it. */
  fatal: boolean;
  /** The original error as a SqlError (for Session.onError). */
  error: SqlError;
}

export function mapError(e: unknown, log: (msg: string) => void, forceFatal = false): MappedError {
  let err: SqlError;
  if (e instanceof SqlError) {
    err = e;
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    log(`internal error: ${e instanceof Error && e.stack ? e.stack : msg}`);
    err = new SqlError(SqlState.InternalError, msg);
  }
  const fatal = forceFatal || err.severity === 'FATAL' || err.severity === 'PANIC';
  return {
    severity: fatal ? (err.severity === 'PANIC' ? 'PANIC' : 'FATAL') : 'ERROR',
    code: err.code,
    message: err.message,
    detail: err.detail,
    hint: err.hint,
    position: err.position,
    where: err.where,
    fatal,
    error: err,
  };
}

export function noticeFields(n: Notice): ErrorFields {
  return { severity: n.severity, code: n.code, message: n.message };
}
