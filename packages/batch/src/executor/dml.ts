/**
 * Shared driver of the DML executors: each input row is written through a TableWriter;
 * the executor emits RETURNING rows, or nothing, and counts affected rows for the
 * command tag. Writes go into the statement's WriteBatch; the caller commits it.
 */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';
import type { TableWriter } from './table-writer';

export abstract class DmlExecutor implements Executor {
  abstract readonly name: string;
  /** Rows inserted / updated / deleted so far. */
  affected = 0;

  constructor(
    protected readonly child: Executor,
    protected readonly writer: TableWriter,
    /** RETURNING expressions over the written (or deleted) row; null = no RETURNING. */
    protected readonly returning: readonly Evaluator[] | null,
  ) {}

  /** Writes one input row; returns the row RETURNING sees, or null if nothing was written. */
  protected abstract apply(row: Row): Row | null;

  *execute(): ChunkStream {
    let out: Row[] = [];
    const ret = this.returning;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        const written = this.apply(row);
        if (!written) continue;
        this.affected++;
        if (ret) out.push(ret.map((e) => e(written)));
      }
      if (out.length >= CHUNK_SIZE) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
}
