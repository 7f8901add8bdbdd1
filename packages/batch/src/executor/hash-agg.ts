/**
 * GROUP BY with aggregates, by hashing the group key. With no group key it is a simple
 * aggregate and always emits exactly one row, even over empty input (`count(*)` = 0).
 * Output row: group key values, then one value per aggregate.
 *
 * Per-call options follow SQL: FILTER (WHERE …) skips rows, DISTINCT feeds each distinct
 * argument tuple once, and ORDER BY inside the call buffers the group's arguments and feeds
 * them sorted (string_agg, array_agg).
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { AggImpl, AggState } from '@freshet/expr';
import { type OrderKey, tupleComparator } from '../compare';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, type Pause, shouldPause } from '../executor';
import { sortPausing } from '../pausing-sort';
import { type HashKey, keyValueFn, rowKeyFn } from '../keys';

export interface AggCallSpec {
  impl: AggImpl;
  args: Evaluator[];
  argTypes: DataType[];
  filter: Evaluator | null;
  distinct: boolean;
  orderBy: { eval: Evaluator; key: OrderKey }[];
}

interface CallState {
  state: AggState;
  seen: Set<HashKey> | null;
  buffered: { k: Datum[]; a: Datum[] }[] | null;
}

interface Group {
  key: Datum[];
  calls: CallState[];
}

export class HashAggExecutor implements Executor {
  readonly name: string;
  constructor(
    private readonly child: Executor,
    private readonly groupKeys: readonly Evaluator[],
    private readonly groupTypes: readonly DataType[],
    private readonly calls: readonly AggCallSpec[],
    private readonly rt: ExecRuntime,
  ) {
    this.name = groupKeys.length === 0 ? 'BatchSimpleAgg' : 'BatchHashAgg';
  }

  private newGroup(key: Datum[]): Group {
    return {
      key,
      calls: this.calls.map((c) => ({
        state: c.impl.create(),
        seen: c.distinct ? new Set<HashKey>() : null,
        buffered: c.orderBy.length > 0 ? [] : null,
      })),
    };
  }

  *execute(): ChunkStream {
    const nk = this.groupKeys.length;
    const groups = new Map<HashKey, Group>();
    const keyOf = nk > 0 ? rowKeyFn(this.groupTypes) : null;
    const argKeyFns = this.calls.map((c) => (c.distinct ? rowKeyFn(c.argTypes) : null));
    let single: Group | null = nk === 0 ? this.newGroup([]) : null;
    const calls = this.calls;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (let i = 0; i < chunk.length; i++) {
        const row = chunk[i];
        let g: Group;
        if (single) g = single;
        else {
          const key = new Array(nk);
          for (let j = 0; j < nk; j++) key[j] = this.groupKeys[j](row);
          const hk = keyOf!(key);
          let found = groups.get(hk);
          if (!found) {
            found = this.newGroup(key);
            groups.set(hk, found);
          }
          g = found;
        }
        for (let c = 0; c < calls.length; c++) {
          const spec = calls[c];
          if (spec.filter && spec.filter(row) !== true) continue;
          const args = new Array(spec.args.length);
          for (let a = 0; a < args.length; a++) args[a] = spec.args[a](row);
          const cs = g.calls[c];
          if (cs.buffered) {
            cs.buffered.push({ k: spec.orderBy.map((o) => o.eval(row)), a: args });
            continue;
          }
          if (cs.seen) {
            const k = argKeyFns[c]!(args);
            if (cs.seen.has(k)) continue;
            cs.seen.add(k);
          }
          cs.state.add(args);
        }
      }
    }
    let out: Row[] = [];
    const all = single ? [single] : groups.values();
    const keyValues = keyValueFn(this.groupTypes);
    for (const g of all) {
      const row: Row = keyValues ? keyValues(g.key) : g.key.slice();
      for (let c = 0; c < calls.length; c++) row.push(yield* this.finish(c, g.calls[c]));
      out.push(row);
      if (out.length >= CHUNK_SIZE) {
        yield out;
        out = [];
        // Emitting millions of groups (each finished here) takes a while too.
        if (shouldPause(this.rt)) yield PAUSE;
      }
    }
    if (out.length > 0) yield out;
    single = null;
  }

  /** The call's result; an ordered call sorts its buffered arguments first (pausing). */
  private *finish(c: number, cs: CallState): Generator<Pause, Datum, undefined> {
    if (cs.buffered) {
      const spec = this.calls[c];
      const cmp = tupleComparator(spec.orderBy.map((o) => o.key));
      yield* sortPausing(cs.buffered, (a, b) => cmp(a.k, b.k), this.rt);
      const keyFn = cs.seen ? rowKeyFn(spec.argTypes) : null;
      for (const { a } of cs.buffered) {
        if (cs.seen) {
          const k = keyFn!(a);
          if (cs.seen.has(k)) continue;
          cs.seen.add(k);
        }
        cs.state.add(a);
      }
      cs.buffered = null;
    }
    return cs.state.result();
  }
}
