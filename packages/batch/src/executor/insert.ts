/** INSERT: input rows are complete physical rows (defaults and casts applied by the plan). */
import type { Row } from '@freshet/common';
import { DmlExecutor } from './dml';

export class InsertExecutor extends DmlExecutor {
  readonly name = 'BatchInsert';
  protected apply(row: Row): Row | null {
    // Input rows may be shared with a scan (INSERT … SELECT * FROM t): copy before filling _row_id.
    return this.writer.insert(row.slice());
  }
}
