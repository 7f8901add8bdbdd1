/**
 * A SQL tokenizer that follows PostgreSQL's lexical rules closely enough to find
 * statement boundaries and RisingWave-only clauses without being fooled by strings,
 * quoted identifiers, dollar-quoted bodies or comments. It never throws: unterminated
 * strings/comments become a final token flagged `unterminated`, and the PostgreSQL
 * grammar (or the front pass) reports the error with its position.
 *
 * Offsets are UTF-16 indices into the input string (what `String.prototype.slice` takes).
 */
export type TokenType =
  | 'word' // identifier or keyword, unquoted
  | 'qident' // "quoted identifier"
  | 'string' // '...', E'...', B'...', X'...', N'...', U&'...', $tag$...$tag$
  | 'number'
  | 'param' // $1
  | 'op' // operator characters (+ - * / < > = ~ ! @ # % ^ & | ` ?)
  | 'punct'; // ( ) [ ] , ; : :: . and anything else single-character

export interface Token {
  type: TokenType;
  start: number;
  end: number;
  /** The unquoted/unescaped value: identifier as written (not folded), string contents, etc. */
  value: string;
  /** Upper-cased text for unquoted words (keyword matching); '' otherwise. */
  upper: string;
  unterminated?: boolean;
}

const OP_CHARS = new Set('+-*/<>=~!@#%^&|`?');

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** Skips whitespace and comments from `i`; returns the next significant index. */
function skipTrivia(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 45 /* - */ && s.charCodeAt(i + 1) === 45) {
      while (i < n && s.charCodeAt(i) !== 10) i++;
    } else if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      // PostgreSQL block comments nest.
      let depth = 1;
      const start = i;
      i += 2;
      while (i < n && depth > 0) {
        if (s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else if (s.charCodeAt(i) === 42 && s.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
        } else i++;
      }
      // An unterminated comment is kept as a token so the error can be reported.
      if (depth > 0) return start;
    } else break;
  }
  return i;
}

/** Reads a '...' body starting at the opening quote; `backslash` enables E'' escapes. */
function readQuoted(s: string, i: number, quote: number, backslash: boolean): { end: number; value: string; ok: boolean } {
  // Fast path: no doubled quote and no backslash escape before the closing quote.
  const close = s.indexOf(String.fromCharCode(quote), i + 1);
  if (close >= 0 && s.charCodeAt(close + 1) !== quote) {
    const body = s.slice(i + 1, close);
    if (!backslash || body.indexOf('\\') < 0) return { end: close + 1, value: body, ok: true };
  }
  let value = '';
  let j = i + 1;
  const n = s.length;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (backslash && c === 92 /* \ */ && j + 1 < n) {
      const e = s[j + 1];
      value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === 'b' ? '\b' : e === 'f' ? '\f' : e;
      j += 2;
    } else if (c === quote) {
      if (s.charCodeAt(j + 1) === quote) {
        value += s[j];
        j += 2;
      } else return { end: j + 1, value, ok: true };
    } else {
      value += s[j];
      j++;
    }
  }
  return { end: n, value, ok: false };
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const n = s.length;
  let i = skipTrivia(s, 0);
  let start = i;
  const push = (type: TokenType, end: number, value: string, unterminated = false) => {
    const t: Token = { type, start, end, value, upper: type === 'word' ? value.toUpperCase() : '' };
    if (unterminated) t.unterminated = true;
    out.push(t);
    i = end;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    start = i;
    const next = s.charCodeAt(i + 1);
    if (c === 39 /* ' */) {
      const q = readQuoted(s, i, 39, false);
      push('string', q.end, q.value, !q.ok);
    } else if ((c === 69 || c === 101) /* E e */ && next === 39) {
      const q = readQuoted(s, i + 1, 39, true);
      push('string', q.end, q.value, !q.ok);
    } else if ((c === 66 || c === 98 || c === 88 || c === 120 || c === 78 || c === 110) /* B X N */ && next === 39) {
      const q = readQuoted(s, i + 1, 39, false);
      push('string', q.end, q.value, !q.ok);
    } else if ((c === 85 || c === 117) /* U */ && next === 38 /* & */ && (s.charCodeAt(i + 2) === 39 || s.charCodeAt(i + 2) === 34)) {
      const quote = s.charCodeAt(i + 2);
      const q = readQuoted(s, i + 2, quote, false);
      push(quote === 39 ? 'string' : 'qident', q.end, q.value, !q.ok);
    } else if (c === 34 /* " */) {
      const q = readQuoted(s, i, 34, false);
      push('qident', q.end, q.value, !q.ok);
    } else if (c === 36 /* $ */) {
      if (isDigit(next)) {
        let j = i + 1;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        push('param', j, s.slice(i + 1, j));
      } else {
        DOLLAR_TAG.lastIndex = i;
        const m = DOLLAR_TAG.exec(s);
        if (m) {
          const tag = m[0];
          const bodyStart = i + tag.length;
          const close = s.indexOf(tag, bodyStart);
          if (close < 0) push('string', n, s.slice(bodyStart), true);
          else push('string', close + tag.length, s.slice(bodyStart, close));
        } else push('punct', i + 1, '$');
      }
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(s.charCodeAt(j))) j++;
      push('word', j, s.slice(i, j));
    } else if (isDigit(c) || (c === 46 /* . */ && isDigit(next))) {
      let j = i;
      if (c === 48 && (next === 120 || next === 88 || next === 111 || next === 79 || next === 98 || next === 66)) {
        j += 2;
        while (j < n && (isIdentCont(s.charCodeAt(j)) && s.charCodeAt(j) !== 36)) j++;
      } else {
        while (j < n && (isDigit(s.charCodeAt(j)) || s.charCodeAt(j) === 95)) j++;
        // `1..2` is not a decimal point: PostgreSQL lexes `1.` only if not followed by `.`.
        if (s.charCodeAt(j) === 46 && s.charCodeAt(j + 1) !== 46) {
          j++;
          while (j < n && (isDigit(s.charCodeAt(j)) || s.charCodeAt(j) === 95)) j++;
        }
        const e = s.charCodeAt(j);
        if (e === 101 || e === 69) {
          let k = j + 1;
          if (s.charCodeAt(k) === 43 || s.charCodeAt(k) === 45) k++;
          if (isDigit(s.charCodeAt(k))) {
            j = k;
            while (j < n && isDigit(s.charCodeAt(j))) j++;
          }
        }
      }
      push('number', j, s.slice(i, j));
    } else if (c === 47 /* / */ && next === 42 /* * */) {
      push('punct', n, '/*', true); // only reached for an unterminated comment
    } else if (OP_CHARS.has(s[i])) {
      let j = i;
      while (j < n && OP_CHARS.has(s[j])) {
        // A comment start ends the operator.
        if ((s[j] === '-' && s[j + 1] === '-') || (s[j] === '/' && s[j + 1] === '*')) break;
        j++;
      }
      push('op', j, s.slice(i, j));
    } else if (c === 58 /* : */ && next === 58) {
      push('punct', i + 2, '::');
    } else {
      // Take a whole code point so surrogate pairs are never split.
      const cp = s.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      push('punct', i + len, s.slice(i, i + len));
    }
    i = skipTrivia(s, i);
  }
  return out;
}

/** True if `t` is the unquoted word `kw` (upper-case). */
export function isWord(t: Token | undefined, kw: string): boolean {
  return t !== undefined && t.type === 'word' && t.upper === kw;
}

export function isPunct(t: Token | undefined, p: string): boolean {
  return t !== undefined && t.type === 'punct' && t.value === p;
}

/** An identifier as PostgreSQL folds it: unquoted words lower-cased, quoted kept. */
export function identValue(t: Token): string {
  return t.type === 'qident' ? t.value : foldIdent(t.value);
}

/** PostgreSQL folds only ASCII letters in unquoted identifiers. */
export function foldIdent(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
