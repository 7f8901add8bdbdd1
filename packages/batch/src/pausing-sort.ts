/**
 * A stable sort that can be interrupted. `Array.prototype.sort` over millions of rows
 * with a comparator holds the event loop for seconds, out of reach of cancellation; this
 * sorts runs of RUN items with it, then merges runs bottom-up, yielding PAUSE whenever the
 * plan's time slice is used up. Inputs of at most RUN items take the plain path.
 */
import { type ExecRuntime, PAUSE, type Pause, shouldPause } from './executor';

const RUN = 1 << 14;

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
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // `<= 0` takes the left run first on ties: stable.
        dst[k++] = cmp(src[i], src[j]) <= 0 ? src[i++] : src[j++];
        if ((k & (RUN - 1)) === 0 && shouldPause(rt)) yield PAUSE;
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let i = 0; i < n; i++) items[i] = src[i];
  return items;
}
