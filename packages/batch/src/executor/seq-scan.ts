/** Full scan of a table or MV in primary-key order, projecting the needed columns. */
import type { Row } from '@freshet/common';
import type { TableReader } from '@freshet/storage';
import { CHUNK_SIZE, type ChunkStream, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';

export class SeqScanExecutor implements Executor {
  readonly name = 'BatchSeqScan';
  constructor(
    private readonly reader: TableReader,
    /** Physical column indices to output; null = all columns as stored. */
    private readonly columns: readonly number[] | null,
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    const cols = this.columns;
    let buf: Row[] = [];
    for (const row of this.reader.scan()) {
      if (cols === null) buf.push(row);
      else {
        const out = new Array(cols.length);
        for (let i = 0; i < cols.length; i++) out[i] = row[cols[i]];
        buf.push(out);
      }
      if (buf.length >= CHUNK_SIZE) {
        yield buf;
        buf = [];
        if (shouldPause(this.rt)) yield PAUSE;
      }
    }
    if (buf.length > 0) yield buf;
  }
}
