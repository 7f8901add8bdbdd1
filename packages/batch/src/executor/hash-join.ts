/**
 * Equi-join by hashing the right (build) side on its key columns and streaming the left
 * (probe) side. A residual condition, if any, is evaluated on the joined row. NULL keys
 * never match (SQL `=`), which is also what semi/anti joins from IN/EXISTS need.
 * Probing a key with many matches is unbounded work per input chunk, so the probe counts
 * the pairs it tests and yields PAUSE when the time slice is used up.
 */
import type { DataType, Datum, Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';
import { type HashKey, rowKeyFn } from '../keys';
import { type JoinType, emitsUnmatchedRight, nullRow, pushLeftOutcome } from './join-type';

export class HashJoinExecutor implements Executor {
  readonly name = 'BatchHashJoin';
  constructor(
    private readonly left: Executor,
    private readonly right: Executor,
    private readonly type: JoinType,
    private readonly leftKeys: readonly Evaluator[],
    private readonly rightKeys: readonly Evaluator[],
    private readonly keyTypes: readonly DataType[],
    /** Residual condition over the concatenated (left ++ right) row, or null. */
    private readonly condition: Evaluator | null,
    private readonly leftWidth: number,
    private readonly rightWidth: number,
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    const keyOf = rowKeyFn(this.keyTypes);
    const nk = this.rightKeys.length;
    const table = new Map<HashKey, { row: Row; matched: boolean }[]>();
    const buildAll: { row: Row; matched: boolean }[] | null = emitsUnmatchedRight(this.type) ? [] : null;
    const kv: Datum[] = new Array(nk);
    for (const chunk of this.right.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        let hasNull = false;
        for (let i = 0; i < nk; i++) {
          kv[i] = this.rightKeys[i](row);
          if (kv[i] === null) hasNull = true;
        }
        const entry = { row, matched: false };
        buildAll?.push(entry);
        if (hasNull) continue;
        const k = keyOf(kv);
        const list = table.get(k);
        if (list) list.push(entry);
        else table.set(k, [entry]);
      }
    }
    const type = this.type;
    const cond = this.condition;
    const rightNulls = nullRow(this.rightWidth);
    const rt = this.rt;
    let out: Row[] = [];
    let work = 0;
    for (const chunk of this.left.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const lrow of chunk) {
        let hasNull = false;
        for (let i = 0; i < nk; i++) {
          kv[i] = this.leftKeys[i](lrow);
          if (kv[i] === null) hasNull = true;
        }
        const list = hasNull ? undefined : table.get(keyOf(kv));
        let matched = false;
        if (list) {
          for (const e of list) {
            if (++work >= CHUNK_SIZE) {
              work = 0;
              if (shouldPause(rt)) yield PAUSE;
            }
            const joined = lrow.concat(e.row);
            if (cond && cond(joined) !== true) continue;
            matched = true;
            e.matched = true;
            if (type === 'semi' || type === 'anti') break;
            out.push(joined);
            if (out.length >= CHUNK_SIZE) {
              yield out;
              out = [];
            }
          }
        }
        pushLeftOutcome(type, matched, lrow, rightNulls, out);
        if (out.length >= CHUNK_SIZE) {
          yield out;
          out = [];
        }
      }
    }
    if (buildAll) {
      const leftNulls = nullRow(this.leftWidth);
      for (const e of buildAll) {
        if (e.matched) continue;
        out.push(leftNulls.concat(e.row));
        if (out.length >= CHUNK_SIZE) {
          yield out;
          out = [];
          if (shouldPause(rt)) yield PAUSE;
        }
      }
    }
    if (out.length > 0) yield out;
  }
}
