/**
 * Locks between DML on a table (shared) and ALTER TABLE ADD/DROP COLUMN (exclusive), as
 * PostgreSQL's ROW EXCLUSIVE and ACCESS EXCLUSIVE table locks: a statement that writes
 * a table holds its lock from the check that its plan still matches the table's columns
 * until its batch is committed, and the ALTER changes the columns and rewrites the rows
 * only while no such statement runs. Without it, DML planned on the old columns could read
 * and write rows in between the catalog change and the rewrite (its awaits let the ALTER
 * run there), and write rows in the wrong layout.
 *
 * A waiting exclusive request holds back new shared ones, so a steady stream of DML does
 * not starve the ALTER; the DML queued behind it runs when it is done. Uncontended shared
 * acquisitions (all of them, without an ALTER) take no promise.
 */

interface TableLock {
  shared: number;
  exclusive: boolean;
  readonly waiters: { readonly exclusive: boolean; readonly grant: () => void }[];
}

export class TableLocks {
  private readonly locks = new Map<number, TableLock>();

  /** Takes a shared lock on `tableId`: null when granted at once, else a promise of the grant. */
  shared(tableId: number): Promise<void> | null {
    const l = this.locks.get(tableId);
    if (l === undefined) {
      this.locks.set(tableId, { shared: 1, exclusive: false, waiters: [] });
      return null;
    }
    if (!l.exclusive && l.waiters.length === 0) {
      l.shared++;
      return null;
    }
    return new Promise((grant) => l.waiters.push({ exclusive: false, grant }));
  }

  /** Takes the exclusive lock on `tableId` once every shared holder has released. */
  exclusive(tableId: number): Promise<void> {
    const l = this.locks.get(tableId);
    if (l === undefined) {
      this.locks.set(tableId, { shared: 0, exclusive: true, waiters: [] });
      return Promise.resolve();
    }
    return new Promise((grant) => l.waiters.push({ exclusive: true, grant }));
  }

  release(tableId: number, exclusive: boolean): void {
    const l = this.locks.get(tableId);
    if (l === undefined) throw new Error(`table lock ${tableId} released but not held`);
    if (exclusive) l.exclusive = false;
    else l.shared--;
    if (l.shared > 0) return;
    // Free: the first waiter, and every shared one right behind it when it is shared.
    const next = l.waiters[0];
    if (next === undefined) {
      this.locks.delete(tableId);
      return;
    }
    if (next.exclusive) {
      l.waiters.shift();
      l.exclusive = true;
      next.grant();
      return;
    }
    while (l.waiters.length > 0 && !l.waiters[0].exclusive) {
      l.shared++;
      l.waiters.shift()!.grant();
    }
  }
}
