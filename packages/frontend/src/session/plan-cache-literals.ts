/**
 * Literal parameterisation for the simple-protocol plan cache: turns
 * `SELECT * FROM t WHERE id = 42` into the template `SELECT * FROM t WHERE id = $1` plus
 * the literal `42` (int4), so every lookup that differs only in its constants shares one
 * plan, as the extended protocol's `$1` does.
 *
 * Deliberately conservative: it only lifts plain integer literals (sized as PostgreSQL's
 * lexer sizes them: int4, else int8; larger ones stay in the text) and standard
 * '...' strings in value positions. Anything it does not fully understand — `$`
 * (parameters, dollar quotes), block comments, prefixed strings (E'', B'', X'', U&'', or a
 * type name glued to the quote), a string after a word that may be a type name
 * (`DATE '…'`, `INTERVAL '1' DAY`: see VALUE_KEYWORDS), unterminated quotes — makes it
 * give up (null), and the statement takes the normal path. The plan cache also refuses
 * templates where a parameter would change the meaning (ORDER BY 1, type modifiers).
 */

export type LiteralKind = 'int4' | 'int8' | 'string';

export interface LiftedLiteral {
  readonly kind: LiteralKind;
  /** Integer digits, or the string's value with '' unescaped. */
  readonly text: string;
}

export interface Parameterised {
  /** The statement with `$1…$n` in place of the lifted literals. */
  readonly template: string;
  readonly literals: readonly LiftedLiteral[];
  /** Template plus literal kinds: statements with equal keys share a plan. */
  readonly key: string;
}

const INT4_MAX = 2147483647;
const INT8_MAX = 9223372036854775807n;

function isIdentChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Longest statement considered: point lookups are short, and a bulk INSERT's thousands of
 * literals are not worth lifting (nor a second parse of its template).
 */
export const MAX_PARAMETERISED_LENGTH = 4096;

/** True if `sql` starts with SELECT (after whitespace): only queries are worth a template. */
function startsWithSelect(sql: string): boolean {
  let i = 0;
  while (i < sql.length && (sql.charCodeAt(i) <= 32)) i++;
  return sql.length - i >= 6 && (sql.charCodeAt(i + 6) <= 32 || sql.length - i === 6 || sql.charCodeAt(i + 6) === 42 /* * */) && sql.slice(i, i + 6).toUpperCase() === 'SELECT';
}

/**
 * Keywords after which a string literal is a plain value. After any other word it may be a
 * typed literal (`DATE '2020-01-01'`, `INTERVAL '1' DAY`, `numeric '1.5'`), whose type and
 * qualifiers are part of the literal: as `DATE $1` or `INTERVAL $1 DAY` it would not mean
 * the same (or parse at all).
 */
const VALUE_KEYWORDS = new Set(['SELECT', 'WHERE', 'AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'THEN', 'ELSE', 'WHEN', 'CASE', 'BETWEEN', 'ON', 'HAVING', 'DISTINCT', 'ESCAPE', 'FROM', 'TO', 'IN']);

/** True if the string literal starting at `quote` follows a symbol or one of VALUE_KEYWORDS. */
function valuePosition(sql: string, quote: number): boolean {
  let end = quote;
  while (end > 0 && sql.charCodeAt(end - 1) <= 32) end--;
  if (end === 0 || !isIdentChar(sql.charCodeAt(end - 1))) return true;
  let start = end;
  while (start > 0 && isIdentChar(sql.charCodeAt(start - 1))) start--;
  return VALUE_KEYWORDS.has(sql.slice(start, end).toUpperCase());
}

/** Template and literals of `sql`, or null when it cannot be parameterised safely. */
export function parameteriseLiterals(sql: string): Parameterised | null {
  if (sql.length > MAX_PARAMETERISED_LENGTH || !startsWithSelect(sql)) return null;
  const n = sql.length;
  // No closures here: this runs for every simple query (and tsx wraps named closures).
  const st = new Lifter(sql);
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 36 /* $ */) return null;
    if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) return null;
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      // Line comment: kept in the template as written.
      while (i < n && sql.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 34 /* " */) {
      // Quoted identifier: part of the template.
      i++;
      for (;;) {
        if (i >= n) return null;
        if (sql.charCodeAt(i) === 34) {
          if (sql.charCodeAt(i + 1) === 34) i += 2;
          else break;
        } else i++;
      }
      i++;
      continue;
    }
    if (c === 39 /* ' */) {
      if (i > 0 && isIdentChar(sql.charCodeAt(i - 1))) return null; // E'…', X'…', date'…'
      if (!valuePosition(sql, i)) return null; // DATE '…', INTERVAL '1' DAY, AT TIME ZONE '…'
      const start = i;
      let value = '';
      let from = i + 1;
      i++;
      for (;;) {
        if (i >= n) return null;
        if (sql.charCodeAt(i) === 39) {
          if (sql.charCodeAt(i + 1) === 39) {
            value += sql.slice(from, i + 1);
            i += 2;
            from = i;
          } else break;
        } else i++;
      }
      value += sql.slice(from, i);
      i++;
      st.lift(start, i, 'string', value);
      continue;
    }
    if (isIdentChar(c) && !isDigit(c)) {
      // An identifier or keyword, digits and all (t1, col_2).
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
      continue;
    }
    if (isDigit(c)) {
      const start = i;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      const next = i < n ? sql.charCodeAt(i) : 0;
      const prev = start > 0 ? sql.charCodeAt(start - 1) : 0;
      if (next === 46 /* . */ || isIdentChar(next) || prev === 46) {
        // Decimal, exponent or something glued to the number: keep the whole run verbatim.
        while (i < n && (isIdentChar(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46)) i++;
        continue;
      }
      const digits = sql.slice(start, i);
      if (digits.length <= 10 && Number(digits) <= INT4_MAX) st.lift(start, i, 'int4', digits);
      else if (digits.length <= 19 && BigInt(digits) <= INT8_MAX) st.lift(start, i, 'int8', digits);
      continue;
    }
    i++;
  }
  if (st.literals.length === 0) return null;
  const template = st.out + sql.slice(st.copiedTo);
  return { template, literals: st.literals, key: `${st.kinds}\u0000${template}` };
}

/** The template being built: text copied up to `copiedTo`, then `$n` per lifted literal. */
class Lifter {
  readonly literals: LiftedLiteral[] = [];
  out = '';
  copiedTo = 0;
  kinds = '';
  constructor(private readonly sql: string) {}

  lift(start: number, end: number, kind: LiteralKind, text: string): void {
    this.literals.push({ kind, text });
    this.out += `${this.sql.slice(this.copiedTo, start)}$${this.literals.length}`;
    this.copiedTo = end;
    this.kinds += kind === 'int4' ? '4' : kind === 'int8' ? '8' : 's';
  }
}
