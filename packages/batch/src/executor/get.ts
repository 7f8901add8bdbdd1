/**
 * Point lookup by primary key (`WHERE pk = $1`): one `TableReader.get`, no scan. The
 * key evaluators run against an empty row (they are constants or parameters); a NULL
 * key matches nothing, as `pk = NULL` is never true.
 */
import type { Datum, Row } from '@freshet/common';
import type { TableReader } from '@freshet/storage';
import type { ChunkStream, Evaluator, Executor } from '../executor';

const EMPTY: Row = [];

export class GetExecutor implements Executor {
  readonly name = 'BatchGet';
  constructor(
    private readonly reader: TableReader,
    /** One evaluator per pk column, in pk order; each returns a datum of the pk column's type. */
    private readonly keys: readonly Evaluator[],
    private readonly columns: readonly number[] | null,
  ) {}

  *execute(): ChunkStream {
    const key: Datum[] = new Array(this.keys.length);
    for (let i = 0; i < key.length; i++) {
      const v = this.keys[i](EMPTY);
      if (v === null) return;
      key[i] = v;
    }
    const row = this.reader.get(key);
    if (!row) return;
    const cols = this.columns;
    if (cols === null) {
      yield [row];
      return;
    }
    const out = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) out[i] = row[cols[i]];
    yield [out];
  }
}
