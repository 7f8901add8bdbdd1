/**
 * RisingWave connector options: `WITH (connector = 'kafka', properties.bootstrap.server
 * = 'k:9092')` and `FORMAT PLAIN ENCODE JSON (schema.registry = '…') [KEY ENCODE TEXT]`.
 * Keys may be dotted and are folded like identifiers; values become their text
 * (strings unquoted, numbers/booleans/words as written, anything longer as raw text).
 */
import { identValue } from '../tokenizer';
import type { Cursor } from './cursor';

/** Parses `( key = value [, …] )`; the cursor is at `(`. */
export function parseOptionList(cur: Cursor): Record<string, string> {
  const out: Record<string, string> = {};
  cur.expectPunct('(');
  if (cur.eatPunct(')')) return out;
  for (;;) {
    const key = optionKey(cur);
    if (!cur.isOp('=')) throw cur.error();
    cur.pos++;
    out[key] = optionValue(cur);
    if (cur.eatPunct(',')) continue;
    cur.expectPunct(')');
    return out;
  }
}

function optionKey(cur: Cursor): string {
  const t = cur.peek();
  if (t && t.type === 'string') {
    cur.pos++;
    return t.value;
  }
  return cur.objectName().parts.join('.');
}

function optionValue(cur: Cursor): string {
  const from = cur.pos;
  let depth = 0;
  while (!cur.atEnd()) {
    const t = cur.peek()!;
    if (t.type === 'punct') {
      if (t.value === '(' || t.value === '[') depth++;
      else if (t.value === ')' || t.value === ']') {
        if (depth === 0) break;
        depth--;
      } else if (t.value === ',' && depth === 0) break;
    }
    cur.pos++;
  }
  if (cur.pos === from) throw cur.error();
  if (cur.pos - from === 1) {
    const t = cur.tokens[from];
    if (t.type === 'string') {
      if (t.unterminated) throw cur.error(t);
      return t.value;
    }
    if (t.type === 'qident') return identValue(t);
    return t.value;
  }
  return cur.textOf(from, cur.pos);
}

export interface FormatEncode {
  format: string;
  encode: string;
  encodeOptions?: Record<string, string>;
  keyEncode?: string;
}

/** Parses `FORMAT x ENCODE y [(opts)] [KEY ENCODE z]`; the cursor is at FORMAT. */
export function parseFormatEncode(cur: Cursor): FormatEncode {
  cur.expectWords('FORMAT');
  const format = cur.ident().toLowerCase();
  cur.expectWords('ENCODE');
  const encode = cur.ident().toLowerCase();
  const out: FormatEncode = { format, encode };
  if (cur.isPunct('(')) out.encodeOptions = parseOptionList(cur);
  if (cur.eatWords('KEY', 'ENCODE')) out.keyEncode = cur.ident().toLowerCase();
  return out;
}
