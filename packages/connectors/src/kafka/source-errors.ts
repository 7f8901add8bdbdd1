/**
 * Malformed source messages, kept for inspection (a system table can list them) and counted
 * per source. Bounded: the newest `MAX_KEPT` are kept, counts are exact.
 */
import type { ParseError } from '../format/types';

export interface SourceErrorRecord extends ParseError {
  readonly source: string;
  /** When it was seen, ms since the epoch. */
  readonly at: number;
}

const MAX_KEPT = 1000;
const kept: SourceErrorRecord[] = [];
const counts = new Map<string, number>();

export function recordSourceError(source: string, error: ParseError, at = Date.now()): void {
  kept.push({ source, at, ...error });
  if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
  counts.set(source, (counts.get(source) ?? 0) + 1);
}

/** The newest malformed messages, oldest first. */
export function recentSourceErrors(): readonly SourceErrorRecord[] {
  return kept;
}

/** Malformed messages seen per source since the process started. */
export function sourceErrorCounts(): ReadonlyMap<string, number> {
  return counts;
}
