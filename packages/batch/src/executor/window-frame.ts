/**
 * Window frames: which rows of a sorted partition an aggregate or first/last_value sees
 * for each row. `ROWS` counts rows, `RANGE` (without offsets) and `GROUPS` count peer
 * groups (rows with equal ORDER BY values; without ORDER BY the whole partition is one
 * group). The default frame is `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`,
 * which reaches the current row's last peer.
 */

export type FrameUnit = 'rows' | 'range' | 'groups';

/** `offset` is signed: negative for n PRECEDING, positive for n FOLLOWING. */
export type FrameBound = { kind: 'unbounded' } | { kind: 'current_row' } | { kind: 'offset'; offset: number };

export type FrameExclusion = 'no_others' | 'current_row' | 'group' | 'ties';

export interface WindowFrame {
  readonly unit: FrameUnit;
  /** `unbounded` here is UNBOUNDED PRECEDING. */
  readonly start: FrameBound;
  /** `unbounded` here is UNBOUNDED FOLLOWING. */
  readonly end: FrameBound;
  readonly exclude: FrameExclusion;
}

export const DEFAULT_FRAME: WindowFrame = { unit: 'range', start: { kind: 'unbounded' }, end: { kind: 'current_row' }, exclude: 'no_others' };

/** Peer groups of a sorted partition: group number of each row, and each group's first row. */
export interface PeerGroups {
  readonly groupOf: Int32Array;
  /** groupStart[g] = first row of group g; groupStart[groupCount] = n. */
  readonly groupStart: Int32Array;
}

export function peerGroups(n: number, samePeer: (i: number, j: number) => boolean): PeerGroups {
  const groupOf = new Int32Array(n);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || !samePeer(i - 1, i)) starts.push(i);
    groupOf[i] = starts.length - 1;
  }
  starts.push(n);
  return { groupOf, groupStart: Int32Array.from(starts) };
}

/**
 * For each row, the frame as an inclusive row range [lo, hi] (empty when lo > hi),
 * before exclusions.
 */
export function frameRanges(frame: WindowFrame, n: number, peers: PeerGroups): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const { groupOf, groupStart } = peers;
  const groups = groupStart.length - 1;
  const firstOfGroup = (g: number) => (g < 0 ? 0 : g >= groups ? n : groupStart[g]);
  const lastOfGroup = (g: number) => (g < 0 ? -1 : g >= groups ? n - 1 : groupStart[g + 1] - 1);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    const s = frame.start;
    const e = frame.end;
    let a: number;
    if (s.kind === 'unbounded') a = 0;
    else if (frame.unit === 'rows') a = i + (s.kind === 'offset' ? s.offset : 0);
    else a = firstOfGroup(g + (s.kind === 'offset' ? s.offset : 0));
    let b: number;
    if (e.kind === 'unbounded') b = n - 1;
    else if (frame.unit === 'rows') b = i + (e.kind === 'offset' ? e.offset : 0);
    else b = lastOfGroup(g + (e.kind === 'offset' ? e.offset : 0));
    lo[i] = Math.max(0, a);
    hi[i] = Math.min(n - 1, b);
  }
  return { lo, hi };
}

/** Whether row `j` is excluded from row `i`'s frame. */
export function excludedFrom(frame: WindowFrame, peers: PeerGroups, i: number, j: number): boolean {
  switch (frame.exclude) {
    case 'no_others':
      return false;
    case 'current_row':
      return i === j;
    case 'group':
      return peers.groupOf[i] === peers.groupOf[j];
    case 'ties':
      return i !== j && peers.groupOf[i] === peers.groupOf[j];
  }
}
