/**
 * Cooperative cancellation. A CancelRequest arrives on another connection and flips the
 * token of the target session; executors poll `throwIfCancelled()` between chunks (they
 * yield to the event loop periodically, which is what lets the CancelRequest be read).
 */
import { SqlError, SqlState } from '@freshet/common';

export class CancelToken {
  cancelled = false;
  private reason = 'canceling statement due to user request';

  cancel(reason?: string): void {
    this.cancelled = true;
    if (reason) this.reason = reason;
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw new SqlError(SqlState.QueryCanceled, this.reason);
  }
}
