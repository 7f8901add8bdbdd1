/**
 * Changes of a table or MV kept while a sink waits for a restart's background load
 * (StreamingEngine.recordChanges, sink.ts `restoreSinks`), so that the sink can deliver
 * them once it starts.
 */
import { type DataType, Op, StreamChunk, StreamChunkBuilder } from '@freshet/common';
import type { RowChange } from '@freshet/storage';

/**
 * Rows a recording keeps at most (~100 MB of changes for rows of a few columns). A longer
 * wait under heavy DML only counts the rest: holding everything could take more memory
 * than the load it waits for.
 */
export const MAX_RECORDED_ROWS = 1_000_000;

export class ChangeRecording {
  private kept: StreamChunk[] | null = [];
  private rows = 0;

  constructor(
    private readonly unsubscribe: () => void,
    private readonly maxRows = MAX_RECORDED_ROWS,
  ) {}

  add(chunk: StreamChunk): void {
    this.rows += chunk.cardinality;
    if (this.kept === null) return;
    if (this.rows > this.maxRows) this.kept = null;
    else this.kept.push(chunk);
  }

  /** The changes in order; null when there were more than the recording keeps. */
  get chunks(): readonly StreamChunk[] | null {
    return this.kept;
  }

  /** Rows changed since the recording started (kept or not). */
  get changedRows(): number {
    return this.rows;
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** A committed batch of a table's changes as chunks (an update stays one U-/U+ pair). */
export function changeChunks(types: readonly DataType[], changes: readonly RowChange[]): StreamChunk[] {
  const out: StreamChunk[] = [];
  const b = new StreamChunkBuilder(types);
  for (let i = 0; i < changes.length; i++) {
    const { old, row } = changes[i];
    const chunk = old !== undefined && row !== undefined ? b.appendUpdate(old, row) : row !== undefined ? b.append(Op.Insert, row) : b.append(Op.Delete, old!);
    if (chunk) out.push(chunk);
  }
  const rest = b.take();
  if (rest) out.push(rest);
  return out;
}
