/**
 * Frame computation for one sorted partition: turns a FrameSpec into per-row [start, end)
 * row ranges, and peer-group boundaries from the ORDER BY comparison.
 */
import { compareDatum, SqlError, SqlState, type DataType, type Datum } from '@freshet/common';
import type { EvalContext } from '../context';
import { resolveScalar } from '../registry';
import type { FrameBound, FrameSpec } from './types';

export interface Peers {
  start: Int32Array;
  end: Int32Array;
}

/** Peer groups of a sorted partition, given "row i-1 and row i are peers". */
export function buildPeers(length: number, samePeer: (a: number, b: number) => boolean): Peers {
  const start = new Int32Array(length);
  const end = new Int32Array(length);
  let s = 0;
  for (let i = 0; i <= length; i++) {
    if (i === length || (i > 0 && !samePeer(i - 1, i))) {
      for (let k = s; k < i; k++) end[k] = i;
      s = i;
    }
    if (i < length) start[i] = s;
  }
  return { start, end };
}

/** What RANGE with an offset needs: the single ORDER BY column. */
export interface RangeOrder {
  values: Datum[];
  type: DataType;
  descending: boolean;
  /** type of the offset (e.g. interval for timestamps); defaults to `type`. */
  offsetType?: DataType;
}

export interface Frames {
  start: Int32Array;
  end: Int32Array;
}

function nonNegative(v: Datum): number {
  const n = typeof v === 'bigint' ? Number(v) : (v as number);
  if (v === null || n < 0) throw new SqlError(SqlState.InvalidParameterValue, 'frame starting offset must not be negative');
  return n;
}

/**
 * Per-row frames. EXCLUDE clauses are not applied here (callers needing them can
 * filter); `order` is required only for RANGE with an offset.
 */
export function buildFrames(spec: FrameSpec, length: number, peers: Peers, ctx: EvalContext, order?: RangeOrder): Frames {
  const start = new Int32Array(length);
  const end = new Int32Array(length);
  let groupIndex: Int32Array | undefined;
  let groupStarts: number[] | undefined;
  if (spec.mode === 'groups') {
    groupIndex = new Int32Array(length);
    groupStarts = [];
    for (let i = 0; i < length; i++) {
      if (i === 0 || peers.start[i] === i) groupStarts.push(i);
      groupIndex[i] = groupStarts.length - 1;
    }
    groupStarts.push(length);
  }
  const rangeBound = order && spec.mode === 'range' ? rangeBounds(order, ctx) : undefined;
  const bound = (b: FrameBound, i: number, isStart: boolean): number => {
    switch (b.kind) {
      case 'unbounded_preceding':
        return 0;
      case 'unbounded_following':
        return length;
      case 'current_row':
        if (spec.mode === 'rows') return isStart ? i : i + 1;
        return isStart ? peers.start[i] : peers.end[i];
      default: {
        const following = b.kind === 'following';
        if (spec.mode === 'rows') {
          const n = nonNegative(b.offset ?? null);
          const r = following ? i + n : i - n;
          return Math.min(length, Math.max(0, isStart ? r : r + 1));
        }
        if (spec.mode === 'groups') {
          const n = nonNegative(b.offset ?? null);
          const g = groupIndex![i] + (following ? n : -n);
          const gs = groupStarts!;
          if (isStart) return g < 0 ? 0 : g >= gs.length - 1 ? length : gs[g];
          return g < 0 ? 0 : g >= gs.length - 1 ? length : gs[g + 1];
        }
        if (!rangeBound) throw new SqlError(SqlState.WindowingError, 'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column');
        return rangeBound(b, i, isStart, peers);
      }
    }
  };
  for (let i = 0; i < length; i++) {
    start[i] = bound(spec.start, i, true);
    end[i] = Math.max(start[i], bound(spec.end, i, false));
  }
  return { start, end };
}

/** RANGE offset bounds: the first row whose value is ≥ (or >) current ± offset, by binary search. */
function rangeBounds(order: RangeOrder, ctx: EvalContext) {
  const { values, type, descending } = order;
  const offType = order.offsetType ?? type;
  const add = resolveScalar('add', [type, offType]);
  const sub = resolveScalar('subtract', [type, offType]);
  const cmp = (a: Datum, b: Datum) => (descending ? -1 : 1) * compareDatum(type, a, b);
  const n = values.length;
  /** First index ≥ lo whose value compares > target (strict) or ≥ target. NULLs sort together at an end. */
  const search = (target: Datum, strict: boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = values[mid];
      const c = v === null ? 1 : cmp(v, target);
      if (strict ? c <= 0 : c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return (b: FrameBound, i: number, isStart: boolean, peers: Peers): number => {
    const cur = values[i];
    if (cur === null) return isStart ? peers.start[i] : peers.end[i];
    const following = b.kind === 'following';
    // ascending: preceding means smaller values; descending flips the arithmetic.
    const towardsLarger = following !== descending;
    const target = (towardsLarger ? add : sub).eval([cur, b.offset ?? null], ctx);
    return isStart ? search(target, false) : search(target, true);
  };
}
