/**
 * Regular-expression functions and the `~ ~* !~ !~*` operators, over the PG→JS
 * translation in regex.ts. regexp_match returns the capture groups (or the whole match
 * when the pattern has none) as varchar[], NULL for no match.
 */
import { listOf, T, type Datum } from '@freshet/common';
import { invalidParameter } from '../errors';
import { fn, type ScalarDef } from './def';
import { compileRegex, parseFlags, translateReplacement } from './regex';
import { cpSlice } from './text-util';

const V = T.Varchar;
const B = T.Boolean;
const I = T.Int32;
const VA = listOf(V);

/** Capture groups of one match, PostgreSQL-style. */
export function matchGroups(m: RegExpExecArray): Datum[] {
  if (m.length === 1) return [m[0]];
  return m.slice(1).map((g) => (g === undefined ? null : g));
}

function regexpMatch(s: string, pattern: string, flags = ''): Datum {
  const f = parseFlags(flags, 'regexp_match');
  if (f.global) throw invalidParameter('flags', 'regexp_match() does not support the "global" option');
  const m = compileRegex(pattern, f.js).exec(s);
  return m ? matchGroups(m) : null;
}

function regexpReplace(s: string, pattern: string, replacement: string, flags = ''): string {
  const f = parseFlags(flags, 'regexp_replace');
  return s.replace(compileRegex(pattern, f.js, f.global), translateReplacement(replacement));
}

function regexpCount(s: string, pattern: string, start = 1, flags = ''): number {
  if (start < 1) throw invalidParameter('start', `invalid value for parameter "start": ${start}`);
  const f = parseFlags(flags, 'regexp_count');
  const re = compileRegex(pattern, f.js, true);
  let n = 0;
  const sub = cpSlice(s, start - 1);
  re.lastIndex = 0;
  for (let m = re.exec(sub); m; m = re.exec(sub)) {
    n++;
    if (m[0] === '') re.lastIndex++;
  }
  return n;
}

export function regexpSplit(s: string, pattern: string, flags = ''): string[] {
  const f = parseFlags(flags, 'regexp_split_to_array');
  if (f.global) throw invalidParameter('flags', 'regexp_split_to_array() does not support the "global" option');
  const re = compileRegex(pattern, f.js, true);
  const out: string[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m[0] === '') {
      // an empty match splits between characters, but never at the ends
      if (m.index >= s.length) break;
      if (m.index === last && m.index === 0) {
        re.lastIndex++;
        continue;
      }
      out.push(s.slice(last, m.index === last ? m.index + 1 : m.index));
      last = m.index === last ? m.index + 1 : m.index;
      re.lastIndex = last;
      continue;
    }
    out.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  out.push(s.slice(last));
  return out;
}

const test = (ci: boolean) => (a: Datum[]) => compileRegex(a[1] as string, ci ? 'is' : 's').test(a[0] as string);

/** SUBSTRING(s FROM pattern): the first capture group if any, else the whole match. */
function substringRegex(s: string, pattern: string): Datum {
  const m = compileRegex(pattern, 's').exec(s);
  if (!m) return null;
  return m.length > 1 ? (m[1] ?? null) : m[0];
}

export const regexFunctions: ScalarDef[] = [
  fn('regexp_match_op', [V, V], B, test(false)),
  fn('regexp_match_op_ci', [V, V], B, test(true)),
  fn('regexp_not_match_op', [V, V], B, (a) => !test(false)(a)),
  fn('regexp_not_match_op_ci', [V, V], B, (a) => !test(true)(a)),
  fn('regexp_like', [V, V], B, test(false)),
  fn('regexp_like', [V, V, V], B, (a) => compileRegex(a[1] as string, parseFlags(a[2] as string, 'regexp_like').js).test(a[0] as string)),
  fn('regexp_match', [V, V], VA, (a) => regexpMatch(a[0] as string, a[1] as string)),
  fn('regexp_match', [V, V, V], VA, (a) => regexpMatch(a[0] as string, a[1] as string, a[2] as string)),
  fn('regexp_replace', [V, V, V], V, (a) => regexpReplace(a[0] as string, a[1] as string, a[2] as string)),
  fn('regexp_replace', [V, V, V, V], V, (a) => regexpReplace(a[0] as string, a[1] as string, a[2] as string, a[3] as string)),
  fn('regexp_count', [V, V], I, (a) => regexpCount(a[0] as string, a[1] as string)),
  fn('regexp_count', [V, V, I], I, (a) => regexpCount(a[0] as string, a[1] as string, a[2] as number)),
  fn('regexp_count', [V, V, I, V], I, (a) => regexpCount(a[0] as string, a[1] as string, a[2] as number, a[3] as string)),
  fn('regexp_split_to_array', [V, V], VA, (a) => regexpSplit(a[0] as string, a[1] as string)),
  fn('regexp_split_to_array', [V, V, V], VA, (a) => regexpSplit(a[0] as string, a[1] as string, a[2] as string)),
  fn('substring_regex', [V, V], V, (a) => substringRegex(a[0] as string, a[1] as string)),
];
