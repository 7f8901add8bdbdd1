/**
 * An aggregate evaluated over window frames. Frames of the standard kinds move forward
 * monotonically (start and end never decrease), so one state slides along the partition:
 * rows entering the frame are added, rows leaving it retracted — O(n) for the whole
 * partition. A frame that moves backwards (not produced by standard frame clauses)
 * falls back to rebuilding the state.
 */
import type { Datum } from '@freshet/common';
import type { AggImpl, AggState } from '../types';
import type { WindowImpl, WindowPartition } from './types';

export function aggregateAsWindow(agg: AggImpl): WindowImpl {
  return {
    name: agg.name,
    argTypes: agg.argTypes,
    returnType: agg.returnType,
    usesFrame: true,
    evalPartition(p: WindowPartition): Datum[] {
      const out: Datum[] = new Array(p.length);
      let state: AggState = agg.create();
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < p.length; i++) {
        const s = p.frameStart(i);
        const e = p.frameEnd(i);
        if (s < lo || e < hi || s >= hi) {
          // Backwards, or disjoint from the previous frame: start over.
          state = agg.create();
          lo = hi = s;
        }
        while (hi < e) state.add(p.args(hi++));
        while (lo < s) state.retract(p.args(lo++));
        out[i] = state.result();
      }
      return out;
    },
  };
}
