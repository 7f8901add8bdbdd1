/**
 * RisingWave's `STRUCT<a INT, b STRUCT<c VARCHAR>>` is not PostgreSQL grammar. Each
 * struct type (nested ones included) is replaced by a placeholder type name that PG
 * accepts as an ordinary user type (`__rw_struct_0`, also inside arrays and casts), and
 * its fields are recorded in `RwExtras.structTypes`; `resolveTypeName` maps it back.
 * A `struct <` that does not form a well-typed field list is left alone for PG to reject.
 */
import { parseTypeNameText } from '../pg';
import type { EditList } from '../rewrite';
import type { StructFieldDef, StructTypeDef } from '../statement';
import { type Token, identValue } from '../tokenizer';

export const STRUCT_PLACEHOLDER_PREFIX = '__rw_struct_';

/** Splits operator tokens made only of `<`/`>` (e.g. `>>`) into one token per character. */
function explodeAngles(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.type === 'op' && t.value.length > 1 && /^[<>]+$/.test(t.value)) {
      for (let k = 0; k < t.value.length; k++) {
        out.push({ type: 'op', start: t.start + k, end: t.start + k + 1, value: t.value[k], upper: '' });
      }
    } else out.push(t);
  }
  return out;
}

const isStructStart = (toks: Token[], i: number) =>
  toks[i]?.type === 'word' && toks[i].upper === 'STRUCT' && toks[i + 1]?.type === 'op' && toks[i + 1].value[0] === '<';

export function rewriteStructTypes(sql: string, tokens: Token[], edits: EditList, out: Record<string, StructTypeDef>): void {
  if (!tokens.some((t, i) => isStructStart(tokens, i))) return;
  const toks = explodeAngles(tokens);
  let counter = Object.keys(out).length;

  /** Parses the struct at toks[i]; returns the index of its closing `>` and its placeholder. */
  const parseStruct = (i: number): { close: number; name: string } | null => {
    let j = i + 2;
    const fields: StructFieldDef[] = [];
    if (toks[j]?.value === '>' && toks[j].type === 'op') return register(j, fields);
    for (;;) {
      const nameTok = toks[j];
      if (!nameTok || (nameTok.type !== 'word' && nameTok.type !== 'qident')) return null;
      j++;
      // The field type runs to `,` or `>` at depth 0; nested structs become placeholders.
      let typeText = '';
      let pos = toks[j]?.start ?? -1;
      let depth = 0;
      for (;;) {
        const t = toks[j];
        if (!t) return null;
        if (depth === 0 && t.type === 'op' && t.value === '>') break;
        if (depth === 0 && t.type === 'punct' && t.value === ',') break;
        if (t.type === 'punct' && (t.value === '(' || t.value === '[')) depth++;
        else if (t.type === 'punct' && (t.value === ')' || t.value === ']')) {
          if (--depth < 0) return null;
        } else if (t.type === 'op' && (t.value === '<' || t.value === '>')) {
          if (!isStructStart(toks, j)) return null;
        }
        if (isStructStart(toks, j)) {
          const inner = parseStruct(j);
          if (!inner) return null;
          typeText += sql.slice(pos, t.start) + inner.name;
          j = inner.close + 1;
          pos = toks[inner.close].end;
          continue;
        }
        j++;
      }
      const end = toks[j - 1]?.end ?? pos;
      typeText += sql.slice(pos, Math.max(pos, end));
      if (typeText.trim() === '') return null;
      const typeName = parseTypeNameText(typeText);
      if (!typeName) return null;
      fields.push({ name: identValue(nameTok), typeName });
      if (toks[j].type === 'op') return register(j, fields);
      j++; // ','
    }
  };

  const register = (close: number, fields: StructFieldDef[]) => {
    const name = `${STRUCT_PLACEHOLDER_PREFIX}${counter++}`;
    out[name] = { fields };
    return { close, name };
  };

  for (let i = 0; i < toks.length; i++) {
    if (!isStructStart(toks, i)) continue;
    const s = parseStruct(i);
    if (!s) continue;
    if (edits.add(toks[i].start, toks[s.close].end, s.name)) i = s.close;
    else delete out[s.name];
  }
}
