/**
 * parseSql: tokenize → split on top-level `;` → for each statement, the front pass either
 * parses a RisingWave-only statement itself or edits RisingWave clauses out of it and
 * hands the rest to libpg-query (see README.md for the full list).
 */
import { SqlError, SqlState } from '@freshet/common';
import { afterCreate, editTableLike } from './front/create-table';
import { Cursor } from './front/cursor';
import { parseFormatEncode, parseOptionList } from './front/options';
import { applyQueryExtras } from './front/query-extras';
import { isRwDrop, parseDescribe, parseDrop, parseShow } from './front/show';
import { assertReady, parsePgStatement } from './pg';
import { EditList } from './rewrite';
import { splitStatements } from './split';
import type { CreateSinkStatement, ExplainStatement, RwExtras, Statement } from './statement';
import { type Token, isWord, tokenize } from './tokenizer';

export function parseSql(sql: string): Statement[] {
  assertReady();
  try {
    const spans = splitStatements(tokenize(sql));
    return spans.map((s) => parseStatement(sql, s.tokens, s.semicolon));
  } catch (e) {
    if (e instanceof SqlError) throw e;
    // A bug in the front pass (or a WASM failure) must still reach the client as an error.
    const msg = e instanceof RangeError ? 'statement too deeply nested' : `internal parser error: ${(e as Error)?.message ?? e}`;
    throw new SqlError(e instanceof RangeError ? SqlState.ProgramLimitExceeded : SqlState.InternalError, msg);
  }
}

/** Parses one statement's tokens (no `;`). Also used for EXPLAIN's inner statement. */
function parseStatement(sql: string, tokens: Token[], semicolon?: Token): Statement {
  const cur = new Cursor(sql, tokens, semicolon);
  const base = { text: sql.slice(tokens[0].start, tokens[tokens.length - 1].end), location: tokens[0].start };
  const first = tokens[0];
  const upper = first.type === 'word' ? first.upper : '';
  switch (upper) {
    case 'FLUSH':
      cur.pos = 1;
      cur.expectEnd();
      return { kind: 'flush', ...base };
    case 'SHOW': {
      cur.pos = 1;
      const show = parseShow(cur);
      if (show) return { ...show, ...base };
      break;
    }
    case 'DESCRIBE':
    case 'DESC':
      cur.pos = 1;
      return { ...parseDescribe(cur), ...base };
    case 'DROP':
      if (isRwDrop(cur)) return { ...parseDrop(cur), ...base };
      break;
    case 'EXPLAIN': {
      const explain = parseExplain(sql, cur, base);
      if (explain) return explain;
      break;
    }
    case 'CREATE':
      return parseCreate(sql, cur, base, semicolon);
    case 'ALTER': {
      const renamed = parseAlterRename(sql, tokens, semicolon, base);
      if (renamed) return renamed;
      break;
    }
  }
  return pgStatement(sql, tokens, semicolon, base, new EditList(), { withOptions: {} });
}

type BaseFields = { text: string; location: number };

/**
 * `ALTER SOURCE | SINK name RENAME TO new`: parsed as PostgreSQL's ALTER TABLE … RENAME,
 * then marked with renameType OBJECT_SOURCE / OBJECT_SINK (kinds the PG grammar lacks).
 * Other ALTER SOURCE/SINK forms return undefined and get PostgreSQL's syntax error.
 */
function parseAlterRename(sql: string, tokens: Token[], semicolon: Token | undefined, base: BaseFields): Statement | undefined {
  const kw = tokens[1]?.type === 'word' ? tokens[1].upper : '';
  if (kw !== 'SOURCE' && kw !== 'SINK') return undefined;
  const edits = new EditList();
  edits.add(tokens[1].start, tokens[1].end, 'TABLE');
  let st: Statement;
  try {
    st = pgStatement(sql, tokens, semicolon, base, edits, { withOptions: {} });
  } catch {
    return undefined;
  }
  const rename = st.kind === 'pg' ? st.node.RenameStmt : undefined;
  if (!rename || rename.renameType !== 'OBJECT_TABLE') return undefined;
  rename.renameType = kw === 'SOURCE' ? 'OBJECT_SOURCE' : 'OBJECT_SINK';
  return st;
}

/** Edits RW query extras out and parses the statement with libpg-query. */
function pgStatement(sql: string, tokens: Token[], semicolon: Token | undefined, base: BaseFields, edits: EditList, rw: RwExtras): Statement {
  applyQueryExtras(sql, tokens, edits, rw);
  const end = semicolon ? semicolon.end : tokens[tokens.length - 1].end;
  const node = parsePgStatement(sql, tokens[0].start, end, edits.edits);
  const out: Statement = { kind: 'pg', node, ...base };
  if (edits.size > 0 || Object.keys(rw.withOptions).length > 0) out.rw = rw;
  return out;
}

function parseCreate(sql: string, cur: Cursor, base: BaseFields, semicolon?: Token): Statement {
  const tokens = cur.tokens;
  const i = afterCreate(tokens);
  const kw = tokens[i]?.type === 'word' ? tokens[i].upper : '';
  const edits = new EditList();
  const rw: RwExtras = { withOptions: {} };
  switch (kw) {
    case 'SOURCE': {
      cur.pos = i + 1;
      const ifNotExists = cur.eatWords('IF', 'NOT', 'EXISTS');
      const name = cur.objectName();
      // Parse the column list with PG's CREATE TABLE grammar.
      edits.add(tokens[i].start, tokens[i].end, 'TABLE');
      editTableLike(cur, edits, rw);
      const node = pgStatement(sql, tokens, semicolon, base, edits, rw) as Extract<Statement, { kind: 'pg' }>;
      const create = node.node.CreateStmt;
      if (!create) throw cur.error(tokens[cur.pos]);
      return { kind: 'create_source', name: name.text, nameParts: name.parts, ifNotExists, tableElts: create.tableElts ?? [], rw, ...base };
    }
    case 'TABLE': {
      cur.pos = i + 1;
      cur.eatWords('IF', 'NOT', 'EXISTS');
      cur.objectName();
      editTableLike(cur, edits, rw);
      return pgStatement(sql, tokens, semicolon, base, edits, rw);
    }
    case 'MATERIALIZED': {
      // CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(cols)] [WITH (…)] AS query
      cur.pos = i + 1;
      if (!cur.eatWords('VIEW')) break;
      cur.eatWords('IF', 'NOT', 'EXISTS');
      cur.objectName();
      if (cur.isPunct('(')) {
        const close = cur.matchingParen(cur.pos);
        if (close > 0) cur.pos = close + 1;
      }
      if (cur.isWord('WITH') && cur.isPunct('(', 1)) {
        const start = cur.peek()!.start;
        cur.pos++;
        rw.withOptions = parseOptionList(cur);
        edits.add(start, tokens[cur.pos - 1].end);
      }
      break;
    }
    case 'UNIQUE':
    case 'INDEX': {
      // … DISTRIBUTED BY (a, b)
      for (let k = i; k < tokens.length; k++) {
        if (isWord(tokens[k], 'DISTRIBUTED') && isWord(tokens[k + 1], 'BY') && tokens[k + 2]?.value === '(') {
          cur.pos = k + 2;
          rw.distributedBy = cur.identList();
          edits.add(tokens[k].start, tokens[cur.pos - 1].end);
          break;
        }
      }
      break;
    }
    case 'SINK':
      cur.pos = i + 1;
      return parseCreateSink(sql, cur, base);
    case 'CONNECTION': {
      cur.pos = i + 1;
      const ifNotExists = cur.eatWords('IF', 'NOT', 'EXISTS');
      const name = cur.objectName();
      cur.expectWords('WITH');
      rw.withOptions = parseOptionList(cur);
      cur.expectEnd();
      return { kind: 'create_connection', name: name.text, nameParts: name.parts, ifNotExists, rw, ...base };
    }
  }
  return pgStatement(sql, tokens, semicolon, base, edits, rw);
}

/**
 * CREATE SINK [IF NOT EXISTS] name [INTO table [(cols)]] {FROM rel | AS query}
 *   [WITH (…)] [FORMAT … ENCODE … [(…)] [KEY ENCODE …]]
 */
function parseCreateSink(sql: string, cur: Cursor, base: BaseFields): CreateSinkStatement {
  const ifNotExists = cur.eatWords('IF', 'NOT', 'EXISTS');
  const name = cur.objectName();
  const rw: RwExtras = { withOptions: {} };
  const out: CreateSinkStatement = { kind: 'create_sink', name: name.text, nameParts: name.parts, ifNotExists, rw, ...base };
  if (cur.eatWords('INTO')) {
    const into = cur.objectName();
    out.into = { name: into.text, nameParts: into.parts };
    if (cur.isPunct('(')) out.into.columns = cur.identList();
  }
  if (cur.eatWords('FROM')) {
    const from = cur.objectName();
    out.from = from.text;
    out.fromParts = from.parts;
  } else if (cur.eatWords('AS')) {
    const qStart = cur.pos;
    let depth = 0;
    for (; !cur.atEnd(); cur.pos++) {
      const t = cur.peek()!;
      if (t.type === 'punct' && (t.value === '(' || t.value === '[')) depth++;
      else if (t.type === 'punct' && (t.value === ')' || t.value === ']')) depth--;
      else if (depth === 0 && cur.pos > qStart && ((cur.isWord('WITH') && cur.isPunct('(', 1)) || (cur.isWord('FORMAT') && cur.isWord('ENCODE', 2)))) break;
    }
    if (cur.pos === qStart) throw cur.error();
    const qTokens = cur.tokens.slice(qStart, cur.pos);
    const q = pgStatement(sql, qTokens, undefined, { text: cur.textOf(qStart, cur.pos), location: qTokens[0].start }, new EditList(), rw);
    if (q.kind !== 'pg') throw cur.error(qTokens[0]);
    out.queryText = q.text;
    out.query = q.node;
  } else throw cur.error();
  if (cur.isWord('WITH') && cur.isPunct('(', 1)) {
    cur.pos++;
    rw.withOptions = parseOptionList(cur);
  }
  if (cur.isWord('FORMAT')) {
    const fe = parseFormatEncode(cur);
    rw.format = fe.format;
    rw.encode = fe.encode;
    if (fe.encodeOptions) rw.encodeOptions = fe.encodeOptions;
    if (fe.keyEncode) rw.keyEncode = fe.keyEncode;
  }
  cur.expectEnd();
  return out;
}

/** Statements PostgreSQL's EXPLAIN takes; anything else becomes kind 'explain'. */
const PG_EXPLAINABLE = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'EXECUTE', 'DECLARE']);

function parseExplain(sql: string, cur: Cursor, base: BaseFields): ExplainStatement | null {
  cur.pos = 1;
  const options: Record<string, string> = {};
  if (cur.isPunct('(')) {
    const close = cur.matchingParen(cur.pos);
    if (close < 0) return null;
    const first = cur.peek(1);
    if (first?.type === 'word' && PG_EXPLAINABLE.has(first.upper)) return null; // EXPLAIN (SELECT …)
    cur.pos++;
    while (cur.pos < close) {
      const key = cur.ident().toLowerCase();
      const from = cur.pos;
      while (cur.pos < close && !cur.isPunct(',')) cur.pos++;
      options[key] = cur.pos > from ? cur.textOf(from, cur.pos).replace(/^'(.*)'$/s, '$1') : 'true';
      if (cur.isPunct(',')) cur.pos++;
    }
    cur.pos = close + 1;
  } else {
    for (const w of ['ANALYZE', 'ANALYSE', 'VERBOSE', 'TRACE']) {
      if (cur.eatWords(w)) options[w === 'ANALYSE' ? 'analyze' : w.toLowerCase()] = 'true';
    }
  }
  const t = cur.peek();
  if (!t) return null;
  if (t.type === 'punct' && t.value === '(') return null;
  if (t.type === 'word' && PG_EXPLAINABLE.has(t.upper)) return null;
  const inner = parseStatement(sql, cur.tokens.slice(cur.pos), cur.semicolon);
  return { kind: 'explain', options, inner, ...base };
}

