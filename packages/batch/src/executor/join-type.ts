import type { Row } from '@freshet/common';
/**
 * Join kinds shared by the join executors. Semi and anti joins output only the left row;
 * the others output left columns followed by right columns (NULL-padded for outer sides).
 */
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

export function emitsUnmatchedLeft(t: JoinType): boolean {
  return t === 'left' || t === 'full';
}

export function emitsUnmatchedRight(t: JoinType): boolean {
  return t === 'right' || t === 'full';
}

export function nullRow(width: number): Row {
  return new Array(width).fill(null);
}
