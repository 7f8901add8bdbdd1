/**
 * The sqllogictest record model, as used by RisingWave's e2e tests (the sqllogictest-rs
 * dialect): statements, queries, control records, conditions and connections.
 */

export interface Location {
  file: string;
  line: number;
  /** Include chain, outermost first ("a.slt:3"), for error messages. */
  via: string[];
}

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

/** `(any)` matches every error; `regex` matches anywhere; `exact` compares trimmed text. */
export type ExpectedError = { kind: 'any' } | { kind: 'regex'; source: string; regex: RegExp } | { kind: 'exact'; text: string };

export interface Condition {
  kind: 'skipif' | 'onlyif';
  label: string;
}

interface Base {
  loc: Location;
  conditions: Condition[];
  /** `undefined` is the default connection. */
  connection?: string;
}

/** `… retry <attempts> backoff <duration>`: re-run a failing record up to `attempts` more times. */
export interface Retry {
  attempts: number;
  backoffMs: number;
}

export interface StatementRecord extends Base {
  type: 'statement';
  sql: string;
  retry?: Retry;
  expect: { kind: 'ok' } | { kind: 'count'; count: number } | { kind: 'error'; error: ExpectedError };
}

export interface QueryRecord extends Base {
  type: 'query';
  sql: string;
  retry?: Retry;
  expect:
    | { kind: 'results'; types: string; sortMode?: SortMode; label?: string; results: string[] }
    | { kind: 'error'; error: ExpectedError };
}

export interface SystemRecord extends Base {
  type: 'system';
  command: string;
}

export type Record =
  | StatementRecord
  | QueryRecord
  | SystemRecord
  | { type: 'sleep'; loc: Location; ms: number }
  | { type: 'halt'; loc: Location }
  | { type: 'sortmode'; loc: Location; mode: SortMode }
  | { type: 'substitution'; loc: Location; on: boolean }
  | { type: 'hash-threshold'; loc: Location; threshold: number }
  /** An include pattern that matched no file: reported, not fatal (the reference runner ignores it). */
  | { type: 'include-missing'; loc: Location; pattern: string };

export class SltParseError extends Error {
  constructor(
    message: string,
    readonly loc: Location,
  ) {
    super(`${formatLocation(loc)}: ${message}`);
  }
}

export function formatLocation(loc: Location): string {
  const here = `${loc.file}:${loc.line}`;
  return loc.via.length ? `${here} (included from ${loc.via.join(' <- ')})` : here;
}
