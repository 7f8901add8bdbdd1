/**
 * Text fixtures for chunks, in the style of RisingWave's `from_pretty`:
 *
 * ```
 *   I  T     F
 *   +  1 abc 1.5
 *   U- 5 .   3
 *   U+ 5 x   7 D
 * ```
 *
 * The first non-empty line lists the column types; every other line is a row: an op
 * (`+`, `-`, `U-`, `U+`; StreamChunk only), then one token per column, then an optional
 * trailing `D` marking the row invisible. `.` is NULL. A token is whitespace-delimited,
 * or double-quoted (`"a b"`, with `""` for a quote) to hold spaces or the literal `.`.
 * Values are read with `parseDatum` (UTC), so any text literal the type accepts works.
 *
 * Type letters (RisingWave's, plus a few):
 *   I int64 · i int32 · h int16 · SRL serial · F float64 · f float32 · N decimal ·
 *   B boolean · T varchar · D date · TM time · TS timestamp · TZ timestamptz ·
 *   V interval · J jsonb · X bytea · `{x}` list of x (e.g. `{i}`).
 */
import { type DataType, listOf, T, typeName } from '../types';
import type { Datum } from '../datum';
import { formatDatum } from '../text-format';
import { parseDatum } from '../text-parse';
import { ColumnBuilder } from './column';
import { DataChunk } from './data-chunk';
import { Op, opName, parseOp } from './op';
import { StreamChunk } from './stream-chunk';

const LETTERS: Record<string, DataType> = {
  I: T.Int64,
  i: T.Int32,
  h: T.Int16,
  SRL: T.Serial,
  F: T.Float64,
  f: T.Float32,
  N: T.Decimal,
  B: T.Boolean,
  T: T.Varchar,
  D: T.Date,
  TM: T.Time,
  TS: T.Timestamp,
  TZ: T.Timestamptz,
  V: T.Interval,
  J: T.Jsonb,
  X: T.Bytea,
};

export function parseTypeLetter(letter: string): DataType {
  if (letter.startsWith('{') && letter.endsWith('}')) return listOf(parseTypeLetter(letter.slice(1, -1)));
  const t = LETTERS[letter];
  if (!t) throw new Error(`pretty chunk: unknown type letter '${letter}'`);
  return t;
}

export function typeLetter(t: DataType): string {
  if (t.kind === 'list') return `{${typeLetter(t.elem)}}`;
  for (const [k, v] of Object.entries(LETTERS)) if (v.kind === t.kind) return k;
  throw new Error(`pretty chunk: no type letter for ${typeName(t)}`);
}

/** A token: `{text, quoted}` so that a quoted "." is the string "." and not NULL. */
interface Token {
  text: string;
  quoted: boolean;
}

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`pretty chunk: unterminated quote in: ${line}`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += line[i++];
      }
      out.push({ text: s, quoted: true });
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push({ text: line.slice(i, j), quoted: false });
    i = j;
  }
  return out;
}

interface Parsed {
  types: DataType[];
  ops: Op[];
  columns: ColumnBuilder[];
  visibility: number[];
}

function parse(text: string, withOps: boolean): Parsed {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('pretty chunk: missing type header');
  const types = tokenize(lines[0]).map((t) => parseTypeLetter(t.text));
  const columns = types.map((t) => new ColumnBuilder(t, Math.max(1, lines.length - 1)));
  const ops: Op[] = [];
  const visibility: number[] = [];
  for (const line of lines.slice(1)) {
    const toks = tokenize(line);
    let k = 0;
    if (withOps) {
      const op = parseOp(toks[0]?.text ?? '');
      if (op === undefined) throw new Error(`pretty chunk: bad op in: ${line}`);
      ops.push(op);
      k = 1;
    }
    const rest = toks.length - k;
    let visible = 1;
    if (rest === types.length + 1 && toks[toks.length - 1].text === 'D' && !toks[toks.length - 1].quoted) visible = 0;
    else if (rest !== types.length) throw new Error(`pretty chunk: expected ${types.length} values in: ${line}`);
    for (let j = 0; j < types.length; j++) {
      const tok = toks[k + j];
      columns[j].push(!tok.quoted && tok.text === '.' ? null : parseDatum(types[j], tok.text, 'UTC'));
    }
    visibility.push(visible);
  }
  return { types, ops, columns, visibility };
}

function visibilityOf(v: number[]): Uint8Array | null {
  return v.every((x) => x === 1) ? null : Uint8Array.from(v);
}

export function streamChunkFromPretty(text: string): StreamChunk {
  const p = parse(text, true);
  return new StreamChunk(Uint8Array.from(p.ops), p.columns.map((c) => c.finish()), visibilityOf(p.visibility));
}

export function dataChunkFromPretty(text: string): DataChunk {
  const p = parse(text, false);
  return new DataChunk(p.columns.map((c) => c.finish()), p.visibility.length, visibilityOf(p.visibility));
}

function formatToken(t: DataType, d: Datum): string {
  if (d === null) return '.';
  const s = formatDatum(t, d, 'UTC');
  return s === '' || s === '.' || s === 'D' || /[\s"]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function render(types: readonly DataType[], rows: string[][]): string {
  const header = types.map(typeLetter);
  const all = [header, ...rows];
  const widths: number[] = [];
  for (const r of all) r.forEach((c, j) => (widths[j] = Math.max(widths[j] ?? 0, c.length)));
  return all.map((r) => r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]))).join(' ').trimEnd()).join('\n');
}

/**
 * The pretty form of a chunk (round-trips through `streamChunkFromPretty`). The header
 * is indented by the op column's width so letters line up over their values.
 */
export function streamChunkToPretty(chunk: StreamChunk): string {
  const types = chunk.types;
  const rows: string[][] = [];
  for (let i = 0; i < chunk.capacity; i++) {
    const r = [opName(chunk.ops[i])];
    for (let j = 0; j < types.length; j++) r.push(formatToken(types[j], chunk.datum(j, i)));
    if (!chunk.isVisible(i)) r.push('D');
    rows.push(r);
  }
  const lines = render(types, rows.map((r) => r.slice(1))).split('\n');
  return [`   ${lines[0]}`, ...rows.map((r, i) => `${r[0].padEnd(2)} ${lines[i + 1]}`)].join('\n');
}

export function dataChunkToPretty(chunk: DataChunk): string {
  const types = chunk.types;
  const rows: string[][] = [];
  for (let i = 0; i < chunk.capacity; i++) {
    const r: string[] = [];
    for (let j = 0; j < types.length; j++) r.push(formatToken(types[j], chunk.datum(j, i)));
    if (!chunk.isVisible(i)) r.push('D');
    rows.push(r);
  }
  return render(types, rows);
}
