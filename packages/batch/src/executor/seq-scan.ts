/** Full scan of a table or MV in primary-key order, projecting the needed columns. */
import type { Row } from '@freshet/common';
import type { ColdScan, TableReader } from '@freshet/storage';
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
    const cold = this.reader.scanCold?.() ?? null;
    if (cold !== null) {
      yield* this.executeCold(cold);
      return;
    }
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

  /** An MV partly in memory: rows come in batches, with a disk read to await (PAUSE) between. */
  private *executeCold(scan: ColdScan): ChunkStream {
    const cols = this.columns;
    try {
      for (;;) {
        const r = scan.next();
        if (r === null) return;
        if (r instanceof Promise) {
          this.rt.wait = r;
          yield PAUSE;
          continue;
        }
        yield cols === null ? (r as Row[]) : r.map((row) => cols.map((c) => row[c]));
      }
    } finally {
      scan.close();
    }
  }
}
