/**
 * A stable sort that can be interrupted. `Array.prototype.sort` over millions of rows
 * with a comparator holds the event loop for seconds, out of reach of cancellation; this
 * sorts runs of RUN items with it, then merges runs bottom-up, yielding PAUSE whenever the
 * plan's time slice is used up. Inputs of at most RUN items take the plain path.
 */
import { type ExecRuntime, PAUSE, type Pause, shouldPause } from './executor';

const RUN = 1 << 13;

/** A merge of src[lo, mid) and src[mid, hi) into dst, resumable (see mergeSome). */
interface MergeState {
  i: number;
  j: number;
  k: number;
  mid: number;
  hi: number;
}

/**
 * Advances a merge by up to `budget` output items; true when it is complete. A plain
 * function (not part of the generator) so the hot loop is optimized as usual.
 */
function mergeSome<T>(st: MergeState, src: T[], dst: T[], cmp: (a: T, b: T) => number, budget: number): boolean {
  let { i, j, k } = st;
  const { mid, hi } = st;
  const stop = Math.min(hi, k + budget);
  while (k < stop && i < mid && j < hi) {
    // `<= 0` takes the left run first on ties: stable.
    dst[k++] = cmp(src[i], src[j]) <= 0 ? src[i++] : src[j++];
  }
  while (k < stop && i < mid) dst[k++] = src[i++];
  while (k < stop && j < hi) dst[k++] = src[j++];
  st.i = i;
  st.j = j;
  st.k = k;
  return k >= hi;
}

/** Sorts `items` in place (stably) by `cmp`; returns the same array. */
export function* sortPausing<T>(items: T[], cmp: (a: T, b: T) => number, rt: ExecRuntime): Generator<Pause, T[], undefined> {
  const n = items.length;
  if (n <= RUN) return items.sort(cmp);
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(n, lo + RUN);
    const run = items.slice(lo, hi).sort(cmp);
    for (let i = lo; i < hi; i++) items[i] = run[i - lo];
    if (shouldPause(rt)) yield PAUSE;
  }
  let src = items;
  let dst: T[] = new Array(n);
  const st: MergeState = { i: 0, j: 0, k: 0, mid: 0, hi: 0 };
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      st.i = st.k = lo;
      st.j = st.mid = Math.min(n, lo + width);
      st.hi = Math.min(n, lo + 2 * width);
      while (!mergeSome(st, src, dst, cmp, RUN)) if (shouldPause(rt)) yield PAUSE;
      if (shouldPause(rt)) yield PAUSE;
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let i = 0; i < n; i++) items[i] = src[i];
  return items;
}
