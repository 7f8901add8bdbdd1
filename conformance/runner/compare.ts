/**
 * Result comparison exactly as sqllogictest-rs's default validator does it: actual rows are
 * sorted per the sort mode (expected lines are not), every value and every expected line is
 * trimmed and has ASCII whitespace runs collapsed, and a row is its values joined by a space.
 */
import { createHash } from 'node:crypto';
import type { ExpectedError, SortMode } from './records';

/** Trim and collapse runs of ASCII whitespace (Rust's `split_ascii_whitespace().join(" ")`). */
export function normalize(s: string): string {
  return s.split(/[ \t\n\f\r]+/).filter(Boolean).join(' ');
}

/** Byte-wise UTF-8 order, as Rust compares `String`s (JS `<` compares UTF-16 units). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after U+E000..U+FFFF in UTF-8 but before in UTF-16.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (x >= 0xe000 || y >= 0xe000)) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function compareRows(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareUtf8(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function sortRows(rows: string[][], mode: SortMode | undefined): string[][] {
  if (mode === 'rowsort') return [...rows].sort(compareRows);
  if (mode === 'valuesort') return rows.flat().map((v) => [v]).sort(compareRows);
  return rows;
}

/** sqllogictest's result hashing: "N values hashing to <md5>" once rows×cols exceeds the threshold. */
export function hashRows(rows: string[][], columns: number, threshold: number): string[][] {
  if (threshold <= 0 || rows.length * columns <= threshold || rows.length === 0) return rows;
  const md5 = createHash('md5');
  for (const row of rows) for (const v of row) md5.update(`${v}\n`);
  return [[`${rows.length * rows[0].length} values hashing to ${md5.digest('hex')}`]];
}

export function rowsMatch(actual: string[][], expected: string[]): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i].map(normalize).join(' ') !== normalize(expected[i])) return false;
  }
  return true;
}

export function errorMatches(expected: ExpectedError, actual: string): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'regex':
      return expected.regex.test(actual);
    case 'exact':
      return expected.text.trim() === actual.trim();
  }
}

export function describeExpectedError(e: ExpectedError): string {
  switch (e.kind) {
    case 'any':
      return '(any error)';
    case 'regex':
      return `(regex) ${e.source}`;
    case 'exact':
      return `(exact) ${e.text}`;
  }
}
