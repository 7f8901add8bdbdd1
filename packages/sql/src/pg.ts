/**
 * The libpg-query boundary: loads the WASM module once, parses (rewritten) statement
 * text, turns its errors into SqlError 42601 with positions in the original input, and
 * rewrites every node `location` (UTF-8 byte offsets into the parsed text) to a UTF-16
 * offset into the original input.
 */
import { SqlError, SqlState } from '@freshet/common';
import { loadModule, parseSync } from 'libpg-query';
import { type Edit, OffsetConverter, RewrittenText, errorPosition } from './rewrite';
import type { PgNode } from './statement';

let loading: Promise<void> | null = null;
let ready = false;

export function initParser(): Promise<void> {
  if (!loading) {
    loading = loadModule().then(() => {
      ready = true;
    });
  }
  return loading;
}

export function assertReady(): void {
  if (!ready) throw new SqlError(SqlState.InternalError, 'SQL parser is not initialized: call initParser() at startup');
}

/**
 * Parses sql[start, end) after applying `edits`, expecting exactly one statement.
 * A leading space keeps every location non-zero: libpg-query's JSON omits zero-valued
 * fields, and a missing location could not be mapped.
 */
export function parsePgStatement(sql: string, start: number, end: number, edits: readonly Edit[], prefix = ''): PgNode {
  const rw = new RewrittenText(sql, start, end, edits, ' ' + prefix);
  const conv = new OffsetConverter(rw.text);
  let result: { stmts?: { stmt?: PgNode }[] };
  try {
    result = parseSync(rw.text) as any;
  } catch (e: any) {
    throw pgError(e, sql, rw, conv);
  }
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1 || !stmts[0].stmt) {
    throw new SqlError(SqlState.SyntaxError, 'syntax error at end of input', { position: errorPosition(sql, end) });
  }
  const node = stmts[0].stmt;
  remapLocations(node, (b) => rw.toOriginal(conv.fromBytes(b)));
  return node;
}

/** Parses a type name written as text (a struct field type) into a TypeName node. */
export function parseTypeNameText(typeText: string): PgNode | null {
  try {
    const r: any = parseSync(`SELECT NULL::${typeText}`);
    const tc = r.stmts?.[0]?.stmt?.SelectStmt?.targetList?.[0]?.ResTarget?.val?.TypeCast;
    if (!tc || r.stmts.length !== 1) return null;
    stripLocations(tc.typeName);
    return { TypeName: tc.typeName };
  } catch {
    return null;
  }
}

function pgError(e: any, sql: string, rw: RewrittenText, conv: OffsetConverter): SqlError {
  const message: string = e?.sqlDetails?.message ?? e?.message ?? 'syntax error';
  const cursor: number | undefined = e?.sqlDetails?.cursorPosition;
  if (typeof cursor !== 'number' || cursor < 0) return new SqlError(SqlState.SyntaxError, message);
  const orig = rw.toOriginal(conv.fromCodePoints(cursor));
  return new SqlError(SqlState.SyntaxError, message, { position: errorPosition(sql, orig) });
}

/** Iterative, so that deeply nested expressions cannot overflow the JS stack here. */
function remapLocations(root: any, map: (b: number) => number): void {
  const stack: any[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const x of node) if (x !== null && typeof x === 'object') stack.push(x);
      continue;
    }
    for (const key in node) {
      const v = node[key];
      if (key === 'location' && typeof v === 'number') {
        if (v >= 0) node[key] = map(v);
      } else if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
}

function stripLocations(node: any): void {
  if (Array.isArray(node)) {
    for (const x of node) if (x !== null && typeof x === 'object') stripLocations(x);
    return;
  }
  for (const key in node) {
    const v = node[key];
    if (key === 'location') node[key] = -1;
    else if (v !== null && typeof v === 'object') stripLocations(v);
  }
}
