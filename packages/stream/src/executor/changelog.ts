/**
 * `WITH sub AS CHANGELOG FROM rel` (RisingWave's changelog.rs): every change of the input
 * becomes an appended row — the row's columns, then `changelog_op` (1 insert, 2 delete,
 * 3 update-insert, 4 update-delete, as RisingWave numbers them) and `_changelog_row_id`,
 * a unique, increasing id that keys the (append-only) output.
 *
 * Ids are `µs since the epoch × 2^10 + n`, bumped past the last one: increasing across
 * restarts without persisted state (1024 ids per µs before borrowing from the next µs).
 */
import { type DataType, Op, type StreamChunk, StreamChunkBuilder, T } from '@freshet/common';
import { UnaryExecutor } from './executor';

/** RisingWave's `changelog_op` values, by input op. */
const CHANGELOG_OP: Record<number, number> = {
  [Op.Insert]: 1,
  [Op.Delete]: 2,
  [Op.UpdateInsert]: 3,
  [Op.UpdateDelete]: 4,
};

export class ChangelogExecutor extends UnaryExecutor {
  readonly name = 'StreamChangeLog';
  readonly types: readonly DataType[];
  private readonly builder: StreamChunkBuilder;
  private lastId = 0n;

  constructor(
    inputTypes: readonly DataType[],
    private readonly clock: () => number = Date.now,
  ) {
    super();
    this.types = [...inputTypes, T.Int16, T.Serial];
    this.builder = new StreamChunkBuilder(this.types);
  }

  /** The pure core: each visible row as an insert with its op and a fresh id. */
  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const floor = BigInt(Math.floor(this.clock() * 1000)) << 10n;
    let id = this.lastId >= floor ? this.lastId : floor - 1n;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      row.push(CHANGELOG_OP[chunk.ops[i]], ++id);
      this.emit(this.builder.append(Op.Insert, row));
    }
    this.lastId = id;
    this.emit(this.builder.take());
  }
}
