import type { Row } from '@freshet/common';
/**
 * Join kinds shared by the join executors. Semi and anti joins output only the left row;
 * the others output left columns followed by right columns (NULL-padded for outer sides).
 */
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

export function emitsUnmatchedLeft(t: JoinType): boolean {
  return t === 'left' || t === 'full';
}

/**
 * What a left row contributes once all its candidates were probed: itself for a matched
 * semi / unmatched anti join, itself NULL-padded when an outer join found no match.
 * (Matched pairs of the other kinds were already pushed while probing.)
 */
export function pushLeftOutcome(type: JoinType, matched: boolean, lrow: Row, rightNulls: Row, out: Row[]): void {
  if (type === 'semi') {
    if (matched) out.push(lrow);
  } else if (type === 'anti') {
    if (!matched) out.push(lrow);
  } else if (!matched && emitsUnmatchedLeft(type)) {
    out.push(lrow.concat(rightNulls));
  }
}

export function emitsUnmatchedRight(t: JoinType): boolean {
  return t === 'right' || t === 'full';
}

export function nullRow(width: number): Row {
  return new Array(width).fill(null);
}
