/**
 * Encodes result rows as DataRow messages. The per-column encoder (text or binary, and a
 * fast path for types whose text form is plain JS `String`) is chosen once per result,
 * so the row loop is a plain indexed loop with no per-row allocation besides the value
 * text itself.
 */
import { type DataType, type Datum, type Row, encodeBinary, formatDatum, typeOid, typeSize } from '@freshet/common';
import { BE, type WireField, writeRowDescription } from '../codec/backend-messages';
import { BufferWriter } from '../codec/buffer-writer';
import type { FieldInfo } from '../session';

export const FORMAT_TEXT = 0;
export const FORMAT_BINARY = 1;

type ColumnEncoder = (w: BufferWriter, d: Datum) => void;

function textEncoder(t: DataType, timeZone: string): ColumnEncoder {
  switch (t.kind) {
    case 'varchar':
      return (w, d) => w.lengthPrefixedString(d as string);
    case 'int16':
    case 'int32':
    case 'int64':
      return (w, d) => w.lengthPrefixedString(String(d));
    default:
      return (w, d) => w.lengthPrefixedString(formatDatum(t, d, timeZone));
  }
}

function binaryEncoder(t: DataType): ColumnEncoder {
  return (w, d) => w.lengthPrefixedBytes(encodeBinary(t, d));
}

/** RowDescription entries for `fields` with one format code per column. */
export function wireFields(fields: readonly FieldInfo[], formats: readonly number[] | null): WireField[] {
  const out = new Array<WireField>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    out[i] = {
      name: f.name,
      tableOid: f.tableOid ?? 0,
      columnAttr: f.columnAttr ?? 0,
      typeOid: typeOid(f.type),
      typeSize: typeSize(f.type),
      typeModifier: -1,
      format: formats ? formats[i] : FORMAT_TEXT,
    };
  }
  return out;
}

/**
 * The encoder for a result shape, reused while the same `fields` array comes back with
 * the same formats and time zone — as it does for every execution of a prepared statement
 * or a cached plan — so a point lookup does not rebuild per-column encoders (and its
 * RowDescription) on every query.
 */
const encoders = new WeakMap<readonly FieldInfo[], ResultEncoder>();

export function resultEncoder(fields: readonly FieldInfo[], formats: readonly number[] | null, timeZone: string): ResultEncoder {
  const cached = encoders.get(fields);
  if (cached !== undefined && cached.fits(formats, timeZone)) return cached;
  const e = new ResultEncoder(fields, formats, timeZone);
  encoders.set(fields, e);
  return e;
}

export class ResultEncoder {
  private readonly columns: ColumnEncoder[];
  private readonly formats: readonly number[] | null;
  /** The encoded RowDescription message, built on first use. */
  private rowDescription: Buffer | null = null;

  /** `formats`: one code per column, or null for all-text (simple query). */
  constructor(
    private readonly fields: readonly FieldInfo[],
    formats: readonly number[] | null,
    readonly timeZone: string,
  ) {
    this.formats = formats ? [...formats] : null;
    this.columns = fields.map((f, i) =>
      formats && formats[i] === FORMAT_BINARY ? binaryEncoder(f.type) : textEncoder(f.type, timeZone),
    );
  }

  /** Whether this encoder produces what `formats` and `timeZone` ask for. */
  fits(formats: readonly number[] | null, timeZone: string): boolean {
    if (timeZone !== this.timeZone) return false;
    const mine = this.formats;
    if (mine === null || formats === null) return mine === formats;
    if (mine.length !== formats.length) return false;
    for (let i = 0; i < mine.length; i++) if (mine[i] !== formats[i]) return false;
    return true;
  }

  /** Appends the RowDescription for this result (encoded once, then copied). */
  writeRowDescription(w: BufferWriter): void {
    if (this.rowDescription === null) {
      const scratch = new BufferWriter(256);
      writeRowDescription(scratch, wireFields(this.fields, this.formats));
      this.rowDescription = scratch.take();
    }
    w.bytes(this.rowDescription);
  }

  /**
   * Writes rows[from…] as DataRows until all are written or the writer holds at least
   * `flushAt` bytes; returns the index of the first row not written.
   */
  writeRows(w: BufferWriter, rows: readonly Row[], from: number, flushAt: number): number {
    const cols = this.columns;
    const n = cols.length;
    let i = from;
    while (i < rows.length) {
      const row = rows[i++];
      w.begin(BE.DataRow).int16(n);
      for (let c = 0; c < n; c++) {
        const d = row[c];
        if (d === null || d === undefined) w.int32(-1);
        else cols[c](w, d);
      }
      w.end();
      if (w.length >= flushAt) break;
    }
    return i;
  }
}
