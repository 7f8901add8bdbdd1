/**
 * A cursor over one statement's tokens for the hand-written RisingWave parsers.
 * Errors are PostgreSQL-shaped: `syntax error at or near "tok"` with the token's
 * 1-based position, or `syntax error at end of input`.
 */
import { SqlError, SqlState } from '@freshet/common';
import { errorPosition } from '../rewrite';
import { type Token, identValue, isPunct, isWord } from '../tokenizer';

export interface ObjectName {
  /** As written, e.g. `public."T"`. */
  text: string;
  /** Folded parts, e.g. ['public', 'T']. */
  parts: string[];
}

export class Cursor {
  pos = 0;

  constructor(
    readonly sql: string,
    readonly tokens: Token[],
    /** The statement's terminating `;`, for `at or near ";"` at the end. */
    readonly semicolon?: Token,
  ) {}

  peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  next(): Token {
    const t = this.tokens[this.pos];
    if (!t) throw this.error();
    this.pos++;
    return t;
  }

  isWord(kw: string, k = 0): boolean {
    return isWord(this.tokens[this.pos + k], kw);
  }

  /** Consumes the keyword sequence if all of it is present. */
  eatWords(...kws: string[]): boolean {
    for (let i = 0; i < kws.length; i++) if (!isWord(this.tokens[this.pos + i], kws[i])) return false;
    this.pos += kws.length;
    return true;
  }

  expectWords(...kws: string[]): void {
    for (const kw of kws) {
      if (!this.isWord(kw)) throw this.error();
      this.pos++;
    }
  }

  isPunct(p: string, k = 0): boolean {
    return isPunct(this.tokens[this.pos + k], p);
  }

  eatPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  expectPunct(p: string): Token {
    if (!this.isPunct(p)) throw this.error();
    return this.tokens[this.pos++];
  }

  isOp(op: string, k = 0): boolean {
    const t = this.tokens[this.pos + k];
    return t !== undefined && t.type === 'op' && t.value === op;
  }

  /** An identifier (unquoted word or "quoted"); keywords are accepted as names, as RisingWave does. */
  ident(): string {
    const t = this.peek();
    if (!t || (t.type !== 'word' && t.type !== 'qident')) throw this.error();
    this.pos++;
    return identValue(t);
  }

  objectName(): ObjectName {
    const first = this.peek();
    const parts = [this.ident()];
    while (this.isPunct('.') && this.peek(1) && (this.peek(1)!.type === 'word' || this.peek(1)!.type === 'qident')) {
      this.pos++;
      parts.push(this.ident());
    }
    const last = this.tokens[this.pos - 1];
    return { text: this.sql.slice(first!.start, last.end), parts };
  }

  stringLiteral(): string {
    const t = this.peek();
    if (!t || t.type !== 'string' || t.unterminated) throw this.error();
    this.pos++;
    return t.value;
  }

  /** Index of the `)` matching the `(` at token index `open`, or -1. */
  matchingParen(open: number): number {
    let depth = 0;
    for (let i = open; i < this.tokens.length; i++) {
      const t = this.tokens[i];
      if (t.type !== 'punct') continue;
      if (t.value === '(' || t.value === '[') depth++;
      else if (t.value === ')' || t.value === ']') {
        depth--;
        if (depth === 0) return i;
      }
    }
    return -1;
  }

  /** Parses `( ident [, ident]* )` into folded names; qualified names keep their dots. */
  identList(): string[] {
    this.expectPunct('(');
    const out: string[] = [];
    if (this.eatPunct(')')) return out;
    do out.push(this.objectName().parts.join('.'));
    while (this.eatPunct(','));
    this.expectPunct(')');
    return out;
  }

  /** Source text of tokens [from, to). */
  textOf(from: number, to: number): string {
    if (to <= from) return '';
    return this.sql.slice(this.tokens[from].start, this.tokens[to - 1].end);
  }

  expectEnd(): void {
    if (!this.atEnd()) throw this.error();
  }

  error(tok: Token | undefined = this.peek()): SqlError {
    if (tok) return syntaxErrorAt(this.sql, tok);
    if (this.semicolon) return syntaxErrorAt(this.sql, this.semicolon);
    return new SqlError(SqlState.SyntaxError, 'syntax error at end of input', { position: errorPosition(this.sql, this.sql.length) });
  }
}

export function syntaxErrorAt(sql: string, tok: Token): SqlError {
  const text = sql.slice(tok.start, tok.end);
  const msg = tok.unterminated
    ? tok.value === '/*' && tok.type === 'punct'
      ? `unterminated /* comment at or near "${text}"`
      : tok.type === 'qident'
      ? `unterminated quoted identifier at or near "${text}"`
      : `unterminated quoted string at or near "${text}"`
    : `syntax error at or near "${text}"`;
  return new SqlError(SqlState.SyntaxError, msg, { position: errorPosition(sql, tok.start) });
}
