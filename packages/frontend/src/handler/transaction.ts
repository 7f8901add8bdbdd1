/**
 * BEGIN / START TRANSACTION / COMMIT / ROLLBACK, as RisingWave treats them: a READ ONLY
 * transaction is a snapshot read; a read-write BEGIN is accepted for driver
 * compatibility (psycopg2 and JDBC send it implicitly) but each write still commits on
 * its own, which the session tells the user with a NOTICE rather than pretending.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { FrontendSession } from '../session/session';

function isReadOnly(body: any): boolean {
  for (const opt of body.options ?? []) {
    const d = opt.DefElem;
    if (d?.defname === 'transaction_read_only') {
      const v = d.arg?.A_Const?.ival?.ival;
      return v === 1;
    }
  }
  return false;
}

export function handleTransaction(session: FrontendSession, body: any): { tag: string } {
  switch (body.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START': {
      const tag = body.kind === 'TRANS_STMT_BEGIN' ? 'BEGIN' : 'START_TRANSACTION';
      if (session.txStatus !== 'I') {
        session.notice('there is already a transaction in progress', 'WARNING', '25001');
        return { tag };
      }
      session.txStatus = 'T';
      session.readOnlyTx = isReadOnly(body);
      if (!session.readOnlyTx) {
        session.notice(
          'read-write transactions are not supported: each statement commits on its own; use BEGIN READ ONLY for a snapshot read',
        );
      }
      return { tag };
    }
    case 'TRANS_STMT_COMMIT': {
      if (session.txStatus === 'I') session.notice('there is no transaction in progress', 'WARNING', '25P01');
      const failed = session.txStatus === 'E';
      session.txStatus = 'I';
      session.readOnlyTx = false;
      return { tag: failed ? 'ROLLBACK' : 'COMMIT' };
    }
    case 'TRANS_STMT_ROLLBACK': {
      if (session.txStatus === 'I') session.notice('there is no transaction in progress', 'WARNING', '25P01');
      session.txStatus = 'I';
      session.readOnlyTx = false;
      return { tag: 'ROLLBACK' };
    }
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `transaction command ${body.kind} is not supported`);
  }
}
