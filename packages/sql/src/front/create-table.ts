/**
 * CREATE TABLE / CREATE SOURCE: the column list may hold `WATERMARK FOR col AS expr`
 * elements and RisingWave generated columns (`col type AS expr`), and the tail after it
 * may hold APPEND ONLY, ON CONFLICT …, WITH VERSION COLUMN (…), INCLUDE …, WITH (…),
 * FORMAT … ENCODE …, and FROM source TABLE '…', in any order. These are recorded in
 * RwExtras and edited out so the PG grammar parses the remaining CREATE TABLE.
 */
import { parsePgStatement } from '../pg';
import type { EditList } from '../rewrite';
import type { IncludeClause, OnConflict, RwExtras, Watermark } from '../statement';
import { type Token, identValue, isWord } from '../tokenizer';
import { Cursor } from './cursor';
import { parseFormatEncode, parseOptionList } from './options';

const CONSTRAINT_STARTS = new Set(['PRIMARY', 'UNIQUE', 'CONSTRAINT', 'CHECK', 'FOREIGN', 'EXCLUDE', 'LIKE']);

/**
 * Edits a CREATE TABLE/SOURCE statement. `cur` is positioned right after the object
 * name; on return it is at the first token the front pass left for PG (e.g. `AS`).
 */
export function editTableLike(cur: Cursor, edits: EditList, rw: RwExtras): void {
  const nameEnd = cur.tokens[cur.pos - 1].end;
  if (cur.isPunct('(')) {
    const close = cur.matchingParen(cur.pos);
    if (close < 0) return; // unbalanced: let PG report it
    editColumnList(cur, cur.pos, close, edits, rw);
    cur.pos = close + 1;
  } else if (!cur.isWord('AS') && !cur.isWord('PARTITION') && !cur.isWord('OF')) {
    // RisingWave allows no column list (schema from the connector); PG needs `()`.
    edits.add(nameEnd, nameEnd, ' ()');
  }
  editTableTail(cur, edits, rw);
}

function editColumnList(cur: Cursor, open: number, close: number, edits: EditList, rw: RwExtras): void {
  const toks = cur.tokens;
  // Split elements on top-level commas.
  const elems: [number, number][] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const t = toks[i];
    if (t.type !== 'punct') continue;
    if (t.value === '(' || t.value === '[') depth++;
    else if (t.value === ')' || t.value === ']') depth--;
    else if (t.value === ',' && depth === 0) {
      elems.push([start, i]);
      start = i + 1;
    }
  }
  elems.push([start, close]);
  const kept = elems.map(() => true);
  elems.forEach(([s, e], idx) => {
    if (isWord(toks[s], 'WATERMARK') && isWord(toks[s + 1], 'FOR') && e > s + 4) {
      const asIdx = s + 3;
      if (!isWord(toks[asIdx], 'AS')) return;
      const column = identValue(toks[s + 2]);
      const exprStart = toks[asIdx + 1].start;
      const exprEnd = toks[e - 1].end;
      const expr = parseExpression(cur.sql, exprStart, exprEnd);
      const wm: Watermark = { column, exprText: cur.sql.slice(exprStart, exprEnd), expr, location: toks[s].start };
      (rw.watermarks ??= []).push(wm);
      kept[idx] = false;
    } else {
      editGeneratedColumn(toks, s, e, edits);
    }
  });
  // Remove dropped elements together with one adjacent comma.
  elems.forEach(([s, e], idx) => {
    if (kept[idx]) return;
    if (idx > 0 && kept[idx - 1]) edits.add(toks[s - 1].start, toks[e - 1].end);
    else if (idx + 1 < elems.length) edits.add(toks[s].start, toks[e].end); // through the following comma
    else edits.add(toks[s].start, toks[e - 1].end);
  });
}

/** `col type AS expr` (RisingWave) → `col type GENERATED ALWAYS AS (expr) STORED` (PG). */
function editGeneratedColumn(toks: Token[], s: number, e: number, edits: EditList): void {
  if (toks[s].type === 'word' && CONSTRAINT_STARTS.has(toks[s].upper)) return;
  let depth = 0;
  for (let i = s + 1; i < e; i++) {
    const t = toks[i];
    if (t.type === 'punct' && (t.value === '(' || t.value === '[')) depth++;
    else if (t.type === 'punct' && (t.value === ')' || t.value === ']')) depth--;
    else if (depth === 0 && isWord(t, 'AS') && i + 1 < e) {
      if (isWord(toks[i - 1], 'ALWAYS') || isWord(toks[i - 1], 'DEFAULT')) return;
      if (edits.add(t.start, t.end, 'GENERATED ALWAYS AS (')) edits.add(toks[e - 1].end, toks[e - 1].end, ') STORED');
      return;
    }
  }
}

/** Parses an expression in place (positions stay those of the input) and returns its node. */
export function parseExpression(sql: string, start: number, end: number): Record<string, any> {
  const node = parsePgStatement(sql, start, end, [{ start, end: start, text: 'SELECT ' }]);
  return node.SelectStmt.targetList[0].ResTarget.val;
}

function onConflict(cur: Cursor): OnConflict | null {
  if (cur.eatWords('OVERWRITE')) return 'overwrite';
  if (cur.eatWords('IGNORE')) return 'ignore';
  if (cur.eatWords('DO', 'NOTHING')) return 'ignore';
  if (cur.eatWords('DO', 'UPDATE', 'FULL')) return 'overwrite';
  if (cur.eatWords('DO', 'UPDATE', 'IF', 'NOT', 'NULL')) return 'do_update_if_not_null';
  return null;
}

function include(cur: Cursor): IncludeClause {
  const what = cur.ident().toLowerCase();
  const out: IncludeClause = { what };
  const t = cur.peek();
  if (t && t.type === 'string') out.inner = cur.stringLiteral();
  // An optional type after `INCLUDE header 'name'`.
  if (out.inner !== undefined && cur.peek()?.type === 'word' && !cur.isWord('AS') && !isTailKeyword(cur)) {
    const from = cur.pos;
    while (cur.peek()?.type === 'word' && !cur.isWord('AS') && !isTailKeyword(cur)) cur.pos++;
    out.typeText = cur.textOf(from, cur.pos);
  }
  if (cur.eatWords('AS')) out.alias = cur.ident();
  return out;
}

function isTailKeyword(cur: Cursor): boolean {
  return ['INCLUDE', 'WITH', 'FORMAT', 'APPEND', 'ON', 'FROM'].some((k) => cur.isWord(k));
}

function editTableTail(cur: Cursor, edits: EditList, rw: RwExtras): void {
  for (;;) {
    const start = cur.peek();
    if (!start) return;
    if (cur.eatWords('APPEND', 'ONLY')) {
      rw.appendOnly = true;
    } else if (cur.isWord('ON') && cur.isWord('CONFLICT', 1)) {
      const save = cur.pos;
      cur.pos += 2;
      const c = onConflict(cur);
      if (!c) {
        cur.pos = save;
        return;
      }
      rw.onConflict = c;
    } else if (cur.isWord('WITH') && cur.isWord('VERSION', 1) && cur.isWord('COLUMN', 2)) {
      cur.pos += 3;
      rw.versionColumns = cur.identList();
    } else if (cur.isWord('WITH') && cur.isPunct('(', 1)) {
      cur.pos++;
      Object.assign(rw.withOptions, parseOptionList(cur));
    } else if (cur.isWord('INCLUDE') && !cur.isPunct('(', 1)) {
      cur.pos++;
      (rw.includes ??= []).push(include(cur));
    } else if (cur.isWord('FORMAT') && cur.isWord('ENCODE', 2)) {
      const fe = parseFormatEncode(cur);
      rw.format = fe.format;
      rw.encode = fe.encode;
      if (fe.encodeOptions) rw.encodeOptions = fe.encodeOptions;
      if (fe.keyEncode) rw.keyEncode = fe.keyEncode;
    } else if (cur.isWord('FROM') && !cur.isPunct('(', 1)) {
      cur.pos++;
      const src = cur.objectName();
      cur.expectWords('TABLE');
      const table = cur.stringLiteral();
      rw.sourceRef = { source: src.text, sourceParts: src.parts, table };
    } else {
      return; // AS query, PG clauses, or an error for PG to report
    }
    edits.add(start.start, cur.tokens[cur.pos - 1].end);
  }
}

/** Skips `CREATE [OR REPLACE] [TEMP|TEMPORARY|UNLOGGED]`; returns the next token index. */
export function afterCreate(tokens: Token[]): number {
  let i = 1;
  if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'REPLACE')) i += 2;
  while (tokens[i] && tokens[i].type === 'word' && ['TEMP', 'TEMPORARY', 'UNLOGGED', 'LOCAL', 'GLOBAL', 'SHARED'].includes(tokens[i].upper)) i++;
  return i;
}
