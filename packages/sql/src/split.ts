/**
 * Splits a token stream into statements on top-level `;`, the way PostgreSQL's grammar
 * does: a `;` inside parentheses does not end a statement (the grammar then reports it as
 * a syntax error), and neither does one inside a SQL-standard function body
 * (`CREATE FUNCTION … BEGIN ATOMIC … END`). Strings, dollar-quoted bodies and comments
 * are already single tokens, so their semicolons never count.
 */
import { type Token, isPunct, isWord } from './tokenizer';

export interface StatementSpan {
  /** Tokens of the statement, without the terminating `;`. Never empty. */
  tokens: Token[];
  /** The terminating `;` token, if any. */
  semicolon?: Token;
}

export function splitStatements(tokens: Token[]): StatementSpan[] {
  const out: StatementSpan[] = [];
  let cur: Token[] = [];
  let parens = 0;
  let atomic = 0; // BEGIN ATOMIC … END nesting (CASE … END counts too while inside)
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'punct') {
      if (t.value === '(' || t.value === '[') parens++;
      else if ((t.value === ')' || t.value === ']') && parens > 0) parens--;
      else if (t.value === ';' && parens === 0 && atomic === 0) {
        if (cur.length > 0) out.push({ tokens: cur, semicolon: t });
        cur = [];
        continue;
      }
    } else if (t.type === 'word') {
      if (atomic > 0) {
        if (t.upper === 'BEGIN' || t.upper === 'CASE') atomic++;
        else if (t.upper === 'END') atomic--;
      } else if (t.upper === 'ATOMIC' && isWord(tokens[i - 1], 'BEGIN') && isRoutineDefinition(cur)) {
        atomic = 1;
      }
    }
    cur.push(t);
  }
  if (cur.length > 0) out.push({ tokens: cur });
  return out;
}

function isRoutineDefinition(tokens: Token[]): boolean {
  if (!isWord(tokens[0], 'CREATE')) return false;
  for (let i = 1; i < Math.min(tokens.length, 5); i++) {
    if (isWord(tokens[i], 'FUNCTION') || isWord(tokens[i], 'PROCEDURE')) return true;
    if (isPunct(tokens[i], '(')) return false;
  }
  return false;
}
