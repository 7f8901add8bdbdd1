/** DELETE: input rows are the physical rows to remove (keyed by their primary key). */
import type { Row } from '@freshet/common';
import { DmlExecutor } from './dml';

export class DeleteExecutor extends DmlExecutor {
  readonly name = 'BatchDelete';
  protected apply(row: Row): Row | null {
    this.writer.delete(row);
    return row;
  }
}
