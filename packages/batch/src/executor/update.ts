/** UPDATE: input rows are the new physical rows, primary key unchanged. */
import type { Row } from '@freshet/common';
import { DmlExecutor } from './dml';

export class UpdateExecutor extends DmlExecutor {
  readonly name = 'BatchUpdate';
  protected apply(row: Row): Row | null {
    this.writer.update(row);
    return row;
  }
}
