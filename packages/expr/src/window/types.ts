/**
 * The window-function driving protocol (see README "Window functions").
 *
 * A batch window executor sorts each partition by the window's ORDER BY, evaluates the
 * function's arguments per row, computes peer groups and frames (buildFrames helps),
 * then calls `evalPartition` once per partition and gets one result per row.
 */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from '../context';

export interface WindowPartition {
  /** Number of rows in the partition (rows are 0..length-1 in ORDER BY order). */
  readonly length: number;
  /** Evaluated arguments of row i (in the function's argTypes). */
  args(i: number): Datum[];
  /** Peer group of row i (rows equal under ORDER BY; all rows without ORDER BY): [start, end). */
  peerStart(i: number): number;
  peerEnd(i: number): number;
  /** Frame of row i: [start, end), empty when start >= end. */
  frameStart(i: number): number;
  frameEnd(i: number): number;
}

export interface WindowImpl {
  readonly name: string;
  readonly argTypes: DataType[];
  readonly returnType: DataType;
  /** true if results depend on the frame (aggregates, first/last/nth_value); ranking and lag/lead ignore it. */
  readonly usesFrame: boolean;
  evalPartition(p: WindowPartition, ctx: EvalContext): Datum[];
}

export type FrameBoundKind = 'unbounded_preceding' | 'preceding' | 'current_row' | 'following' | 'unbounded_following';

export interface FrameBound {
  readonly kind: FrameBoundKind;
  /** For preceding/following: a row/group count (ROWS/GROUPS) or a value of the offset type (RANGE). */
  readonly offset?: Datum;
}

export interface FrameSpec {
  readonly mode: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  readonly end: FrameBound;
  readonly exclude?: 'no_others' | 'current_row' | 'group' | 'ties';
}

/** RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: the default frame. */
export const DEFAULT_FRAME: FrameSpec = {
  mode: 'range',
  start: { kind: 'unbounded_preceding' },
  end: { kind: 'current_row' },
};
