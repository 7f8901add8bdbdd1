/**
 * Join with an arbitrary condition (or none: a cross join): materializes the right side
 * and tests every pair. Used when the condition has no equality usable as a hash key.
 */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';
import { type JoinType, emitsUnmatchedRight, nullRow, pushLeftOutcome } from './join-type';

export class NestedLoopJoinExecutor implements Executor {
  readonly name = 'BatchNestedLoopJoin';
  constructor(
    private readonly left: Executor,
    private readonly right: Executor,
    private readonly type: JoinType,
    private readonly condition: Evaluator | null,
    private readonly leftWidth: number,
    private readonly rightWidth: number,
  ) {}

  *execute(): ChunkStream {
    const rights: Row[] = [];
    for (const chunk of this.right.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const r of chunk) rights.push(r);
    }
    const matchedRight = emitsUnmatchedRight(this.type) ? new Uint8Array(rights.length) : null;
    const type = this.type;
    const cond = this.condition;
    const rightNulls = nullRow(this.rightWidth);
    let out: Row[] = [];
    let work = 0;
    for (const chunk of this.left.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const lrow of chunk) {
        let matched = false;
        for (let i = 0; i < rights.length; i++) {
          const joined = lrow.concat(rights[i]);
          if (cond && cond(joined) !== true) continue;
          matched = true;
          if (matchedRight) matchedRight[i] = 1;
          if (type === 'semi' || type === 'anti') break;
          out.push(joined);
          if (out.length >= CHUNK_SIZE) {
            yield out;
            out = [];
          }
        }
        pushLeftOutcome(type, matched, lrow, rightNulls, out);
        work += rights.length + 1;
        if (out.length >= CHUNK_SIZE || work > 100_000) {
          if (out.length > 0) yield out;
          out = [];
          // Quadratic work: give the root a chance to yield the event loop.
          if (work > 100_000) {
            work = 0;
            yield PAUSE;
          }
        }
      }
    }
    if (matchedRight) {
      const leftNulls = nullRow(this.leftWidth);
      for (let i = 0; i < rights.length; i++) if (!matchedRight[i]) out.push(leftNulls.concat(rights[i]));
    }
    if (out.length > 0) yield out;
  }
}
