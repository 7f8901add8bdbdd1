/**
 * RisingWave query syntax inside otherwise-PostgreSQL statements, stripped (or rewritten)
 * so the PG grammar accepts the statement, and recorded in RwExtras for the binder:
 *   - `EMIT ON WINDOW CLOSE`
 *   - `rel FOR SYSTEM_TIME AS OF PROCTIME()` (temporal join)
 *   - `* EXCEPT (a, b)` / `t.* EXCEPT (…)`
 *   - `UNION [ALL] CORRESPONDING [BY (a, b)]`
 *   - `WITH x AS CHANGELOG FROM rel` → `WITH x AS (SELECT * FROM rel)`
 *   - `STRUCT<…>` types (struct-types.ts)
 * Each rewrite only fires on its exact keyword pattern, so plain PostgreSQL is untouched.
 */
import type { EditList } from '../rewrite';
import type { RwExtras } from '../statement';
import { type Token, identValue, isPunct, isWord } from '../tokenizer';
import { rewriteStructTypes } from './struct-types';

const QUERY_STARTS = new Set(['SELECT', 'VALUES', 'WITH', 'TABLE']);

/** Tokens that end a `FOR SYSTEM_TIME AS OF <expr>` expression. */
const AS_OF_STOP = new Set([
  'ON', 'USING', 'WHERE', 'JOIN', 'LEFT', 'RIGHT', 'INNER', 'FULL', 'CROSS', 'NATURAL', 'GROUP', 'ORDER',
  'LIMIT', 'OFFSET', 'AS', 'WINDOW', 'HAVING', 'UNION', 'EXCEPT', 'INTERSECT', 'EMIT', 'FETCH',
]);

export function applyQueryExtras(sql: string, tokens: Token[], edits: EditList, rw: RwExtras): void {
  const structs: NonNullable<RwExtras['structTypes']> = rw.structTypes ?? {};
  rewriteStructTypes(sql, tokens, edits, structs);
  if (Object.keys(structs).length > 0) rw.structTypes = structs;

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'word') {
      switch (t.upper) {
        case 'EMIT':
          if (isWord(tokens[i + 1], 'ON') && isWord(tokens[i + 2], 'WINDOW') && isWord(tokens[i + 3], 'CLOSE')) {
            if (edits.add(t.start, tokens[i + 3].end)) rw.emitOnWindowClose = true;
            i += 3;
          }
          break;
        case 'FOR':
          if (isWord(tokens[i + 1], 'SYSTEM_TIME') && isWord(tokens[i + 2], 'AS') && isWord(tokens[i + 3], 'OF')) {
            i = temporalJoin(sql, tokens, i, edits, rw);
          }
          break;
        case 'CORRESPONDING':
          i = corresponding(tokens, i, edits, rw);
          break;
        case 'CHANGELOG':
          if (isWord(tokens[i - 1], 'AS') && isWord(tokens[i + 1], 'FROM')) i = changelogCte(tokens, i, edits, rw);
          break;
        case 'EXCEPT':
          if (i > 0 && tokens[i - 1].type === 'op' && tokens[i - 1].value === '*' && isPunct(tokens[i + 1], '(')) {
            i = starExcept(tokens, i, edits, rw);
          }
          break;
      }
    }
  }
}

function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== 'punct') continue;
    if (t.value === '(' || t.value === '[') depth++;
    else if (t.value === ')' || t.value === ']') if (--depth === 0) return i;
  }
  return -1;
}

/** Start token index of the dotted name ending at token `last`. */
function nameStart(tokens: Token[], last: number): number {
  let k = last;
  while (k >= 2 && isPunct(tokens[k - 1], '.') && (tokens[k - 2].type === 'word' || tokens[k - 2].type === 'qident')) k -= 2;
  return k;
}

/** Folded names of `( a, t.b, … )`, or null if the group is not a plain name list. */
function nameList(tokens: Token[], open: number, close: number): string[][] | null {
  const out: string[][] = [];
  let cur: string[] = [];
  let expectName = true;
  for (let k = open + 1; k < close; k++) {
    const t = tokens[k];
    if (expectName) {
      if (t.type !== 'word' && t.type !== 'qident') return null;
      cur.push(identValue(t));
      expectName = false;
    } else if (isPunct(t, '.')) expectName = true;
    else if (isPunct(t, ',')) {
      out.push(cur);
      cur = [];
      expectName = true;
    } else return null;
  }
  if (expectName) return null;
  out.push(cur);
  return out;
}

function temporalJoin(sql: string, tokens: Token[], i: number, edits: EditList, rw: RwExtras): number {
  const relLast = i - 1;
  const rel = tokens[relLast];
  if (!rel || (rel.type !== 'word' && rel.type !== 'qident')) return i;
  let j = i + 4;
  let depth = 0;
  const exprStart = j;
  for (; j < tokens.length; j++) {
    const t = tokens[j];
    if (t.type === 'punct') {
      if (t.value === '(' || t.value === '[') depth++;
      else if (t.value === ')' || t.value === ']') {
        if (depth === 0) break;
        depth--;
      } else if ((t.value === ',' || t.value === ';') && depth === 0) break;
    } else if (depth === 0 && t.type === 'word' && AS_OF_STOP.has(t.upper)) break;
    else if (depth === 0 && j > exprStart && isAliasAfterOperand(tokens[j - 1], t)) break;
  }
  if (j === exprStart) return i;
  const asOf = sql.slice(tokens[exprStart].start, tokens[j - 1].end);
  if (!edits.add(tokens[i].start, tokens[j - 1].end)) return i;
  (rw.temporalJoins ??= []).push({ location: tokens[nameStart(tokens, relLast)].start, asOf });
  return j - 1;
}

const CONTINUES_EXPR = new Set([
  'AND', 'OR', 'NOT', 'IS', 'AT', 'TIME', 'ZONE', 'BETWEEN', 'IN', 'LIKE', 'ILIKE',
  'SECOND', 'SECONDS', 'MINUTE', 'MINUTES', 'HOUR', 'HOURS', 'DAY', 'DAYS', 'WEEK', 'WEEKS',
  'MONTH', 'MONTHS', 'YEAR', 'YEARS', 'MILLISECOND', 'MILLISECONDS', 'MICROSECOND', 'MICROSECONDS', 'TO',
]);

/** In `… AS OF PROCTIME() v`, the bare word after a complete operand is the table alias. */
function isAliasAfterOperand(prev: Token, t: Token): boolean {
  if (t.type !== 'word' && t.type !== 'qident') return false;
  if (t.type === 'word' && CONTINUES_EXPR.has(t.upper)) return false;
  return isPunct(prev, ')') || prev.type === 'string' || prev.type === 'number';
}

function corresponding(tokens: Token[], i: number, edits: EditList, rw: RwExtras): number {
  let k = i - 1;
  if (isWord(tokens[k], 'ALL') || isWord(tokens[k], 'DISTINCT')) k--;
  const opTok = tokens[k];
  if (!opTok || opTok.type !== 'word' || !['UNION', 'INTERSECT', 'EXCEPT'].includes(opTok.upper)) return i;
  let end = i;
  let by: string[] | undefined;
  if (isWord(tokens[i + 1], 'BY') && isPunct(tokens[i + 2], '(')) {
    const close = matchingParen(tokens, i + 2);
    const names = close > 0 ? nameList(tokens, i + 2, close) : null;
    if (!names) return i;
    by = names.map((n) => n.join('.'));
    end = close;
  }
  const right = tokens[end + 1];
  if (!right || !edits.add(tokens[i].start, tokens[end].end)) return i;
  const entry: NonNullable<RwExtras['corresponding']>[number] = {
    location: opTok.start,
    rightLocation: right.start,
    op: opTok.upper.toLowerCase(),
  };
  if (by) entry.by = by;
  (rw.corresponding ??= []).push(entry);
  return end;
}

function changelogCte(tokens: Token[], i: number, edits: EditList, rw: RwExtras): number {
  // name AS CHANGELOG FROM rel  →  name AS (SELECT * FROM rel)
  const nameTok = tokens[i - 2];
  if (!nameTok || (nameTok.type !== 'word' && nameTok.type !== 'qident')) return i;
  let j = i + 2;
  if (!tokens[j] || (tokens[j].type !== 'word' && tokens[j].type !== 'qident')) return i;
  while (isPunct(tokens[j + 1], '.') && tokens[j + 2] && (tokens[j + 2].type === 'word' || tokens[j + 2].type === 'qident')) j += 2;
  if (!edits.add(tokens[i].start, tokens[i + 1].end, '(SELECT * FROM')) return i;
  if (!edits.add(tokens[j].end, tokens[j].end, ')')) return i;
  (rw.changelogCtes ??= []).push({ name: identValue(nameTok), location: nameTok.start });
  return j;
}

function starExcept(tokens: Token[], i: number, edits: EditList, rw: RwExtras): number {
  const open = i + 1;
  const first = tokens[open + 1];
  if (!first || (first.type === 'word' && QUERY_STARTS.has(first.upper))) return i;
  const close = matchingParen(tokens, open);
  if (close < 0) return i;
  const columns = nameList(tokens, open, close);
  if (!columns) return i;
  // The star's ColumnRef location: the `*` itself, or the start of `t.*`.
  const star = i - 1;
  const loc = isPunct(tokens[star - 1], '.') ? tokens[nameStart(tokens, star - 2)].start : tokens[star].start;
  if (!edits.add(tokens[i].start, tokens[close].end)) return i;
  (rw.starExcepts ??= []).push({ location: loc, columns });
  return close;
}
