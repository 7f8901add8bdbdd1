/**
 * ENCODE CSV: one record per message, RFC 4180 quoting ("" escapes a quote), a configurable
 * one-character delimiter. With a header (RisingWave's default, `without_header = 'false'`)
 * the first message of each partition names the columns and later messages map by name;
 * without one, fields map to the payload columns in order. Empty fields are NULL.
 */
import { type Datum, parseDatum, type Row } from '@freshet/common';
import type { SourceColumn } from '../api';
import { includeDatum } from './include';
import { MessageError, type SourceMessage } from './types';

export function splitCsvRecord(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  // A trailing line break belongs to the record separator, not the last field.
  const text = line.replace(/\r?\n$/, '');
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
    } else if (ch === '"' && atFieldStart) {
      quoted = true;
    } else if (ch === delimiter) {
      out.push(field);
      field = '';
      atFieldStart = true;
      i++;
      continue;
    } else field += ch;
    atFieldStart = false;
    i++;
  }
  if (quoted) throw new MessageError('unterminated quoted CSV field');
  out.push(field);
  return out;
}

export class CsvRowParser {
  private readonly payload: number[];
  /** partition → column index per CSV field (from that partition's header message). */
  private readonly headers = new Map<number, (number | -1)[]>();

  constructor(
    private readonly columns: readonly SourceColumn[],
    private readonly delimiter: string,
    private readonly withHeader: boolean,
    private readonly timeZone: string,
  ) {
    this.payload = columns.flatMap((c, i) => (c.include ? [] : [i]));
  }

  /** The row, or null when the message was the header. */
  parse(msg: SourceMessage): Row | null {
    if (msg.value === null) throw new MessageError('empty message');
    const fields = splitCsvRecord(msg.value.toString('utf8'), this.delimiter);
    let mapping = this.headers.get(msg.partition);
    if (this.withHeader && !mapping) {
      const byName = new Map(this.payload.map((i) => [this.columns[i].name.toLowerCase(), i]));
      this.headers.set(msg.partition, fields.map((f) => byName.get(f.trim().toLowerCase()) ?? -1));
      return null;
    }
    mapping ??= this.payload;
    const row = new Array<Datum>(this.columns.length).fill(null);
    for (let f = 0; f < fields.length && f < mapping.length; f++) {
      const col = mapping[f];
      if (col < 0 || fields[f] === '') continue;
      try {
        row[col] = parseDatum(this.columns[col].type, fields[f], this.timeZone);
      } catch (e) {
        throw new MessageError(`column ${this.columns[col].name}: ${(e as Error).message}`);
      }
    }
    for (let i = 0; i < this.columns.length; i++) if (this.columns[i].include) row[i] = includeDatum(this.columns[i], msg);
    return row;
  }
}
